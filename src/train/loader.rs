//! Batch assembly: which images make up the batch of a step, and a thread that prepares the
//! next batches while the current step runs.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::data::{Dataset, SplitMix64};

/// The deterministic batch schedule: epoch `e` visits the training set in the order of a
/// permutation seeded by (seed, e), in consecutive batches; a partial last batch is dropped
/// (with fewer images than a batch, the permutation is walked cyclically).
#[derive(Clone)]
pub(crate) struct Schedule {
    pub set: Arc<Dataset>,
    pub batch_size: usize,
    pub seed: u64,
}

impl Schedule {
    fn batches_per_epoch(&self) -> u64 {
        (self.set.len() / self.batch_size).max(1) as u64
    }

    fn permutation(&self, epoch: u64) -> Vec<u32> {
        let mut p: Vec<u32> = (0..self.set.len() as u32).collect();
        SplitMix64::derived(self.seed, epoch).shuffle(&mut p);
        p
    }

    /// Pixels of the batch of `step`, laid out (batch, channels, height, width).
    fn batch_from(&self, perm: &[u32], step: u64) -> Vec<u8> {
        let (h, w, c) = (
            self.set.height as usize,
            self.set.width as usize,
            self.set.channels as usize,
        );
        let plane = h * w;
        let start = (step % self.batches_per_epoch()) as usize * self.batch_size;
        let mut out = vec![0u8; self.batch_size * c * plane];
        for b in 0..self.batch_size {
            let img = self.set.bytes(perm[(start + b) % perm.len()] as usize);
            let dst = &mut out[b * c * plane..(b + 1) * c * plane];
            for (p, px) in img.chunks_exact(c).enumerate() {
                for (ch, &v) in px.iter().enumerate() {
                    dst[ch * plane + p] = v;
                }
            }
        }
        out
    }

    /// Pixels of the batch of `step` (see [`Schedule::batch_from`]).
    #[cfg(test)]
    pub fn batch(&self, step: u64) -> Vec<u8> {
        let perm = self.permutation(step / self.batches_per_epoch());
        self.batch_from(&perm, step)
    }
}

/// A thread producing the batches of consecutive steps, two ahead of the consumer.
pub(crate) struct Loader {
    rx: Receiver<(u64, Vec<u8>)>,
    /// The step whose batch is received next.
    pub next_step: u64,
    handle: Option<JoinHandle<()>>,
}

impl Loader {
    /// Starts producing batches from step `first`.
    pub fn start(schedule: Schedule, first: u64) -> Loader {
        let (tx, rx) = sync_channel(2);
        let handle = std::thread::spawn(move || {
            let per_epoch = schedule.batches_per_epoch();
            let mut epoch = first / per_epoch;
            let mut perm = schedule.permutation(epoch);
            let mut step = first;
            loop {
                if step / per_epoch != epoch {
                    epoch = step / per_epoch;
                    perm = schedule.permutation(epoch);
                }
                if tx.send((step, schedule.batch_from(&perm, step))).is_err() {
                    return;
                }
                step += 1;
            }
        });
        Loader {
            rx,
            next_step: first,
            handle: Some(handle),
        }
    }

    /// The next batch, or `None` if the thread died.
    pub fn next(&mut self) -> Option<Vec<u8>> {
        let (step, batch) = self.rx.recv().ok()?;
        debug_assert_eq!(step, self.next_step);
        self.next_step += 1;
        Some(batch)
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        // Dropping the receiver makes the thread's next send fail, which ends it; drain first
        // so that a thread blocked on a full channel wakes up.
        while self.rx.try_recv().is_ok() {}
        let (_, dead) = sync_channel::<(u64, Vec<u8>)>(1);
        let rx = std::mem::replace(&mut self.rx, dead);
        drop(rx);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Image;

    fn set(n: u8) -> Arc<Dataset> {
        let mut d = Dataset::new(2, 2, 3, "t");
        for i in 0..n {
            d.push(&Image::new(2, 2, 3, vec![i; 12]).unwrap(), "s").unwrap();
        }
        Arc::new(d)
    }

    #[test]
    fn thread_yields_the_scheduled_batches_and_epochs_cover_the_set() {
        let s = Schedule {
            set: set(10),
            batch_size: 3,
            seed: 5,
        };
        let mut l = Loader::start(s.clone(), 2);
        for step in 2..9 {
            assert_eq!(l.next().unwrap(), s.batch(step));
        }
        // One epoch = 3 batches of 3 distinct images.
        let mut seen: Vec<u8> = (3..6).flat_map(|k| s.batch(k)).step_by(12).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 9);
    }

    #[test]
    fn batch_is_channel_planar() {
        let mut d = Dataset::new(1, 2, 3, "t");
        d.push(&Image::new(2, 1, 3, vec![1, 2, 3, 4, 5, 6]).unwrap(), "s")
            .unwrap();
        let s = Schedule {
            set: Arc::new(d),
            batch_size: 1,
            seed: 0,
        };
        assert_eq!(s.batch(0), vec![1, 4, 2, 5, 3, 6]);
    }
}
