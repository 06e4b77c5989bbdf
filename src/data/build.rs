//! Building data sets of patches and of downsampled whole photographs.

use serde::{Deserialize, Serialize};

use super::file::Dataset;
use super::read::{box_shrink, crop, to_channels};
use super::rng::SplitMix64;
use crate::error::{Error, Result};
use crate::image::Image;

/// What a data set is cut into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Non-overlapping square patches (see the module docs for the scales).
    Patches,
    /// Whole photographs, centre-cropped to a square and box-filtered down.
    Downsampled,
}

impl std::str::FromStr for Kind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Kind> {
        match s {
            "patches" => Ok(Kind::Patches),
            "downsampled" => Ok(Kind::Downsampled),
            _ => Err(Error::invalid(format!(
                "data set kind {s:?}: expected \"patches\" or \"downsampled\""
            ))),
        }
    }
}

/// How a data set is built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildOptions {
    /// Patches or downsampled photographs.
    pub kind: Kind,
    /// Side of the square images of the set.
    pub size: u32,
    /// Channels of the set (3: grayscale is replicated; 1: colour becomes luma).
    pub channels: u8,
    /// Patches only: photographs are first box-filtered so that their short side is close to
    /// this; 0 keeps them at their own resolution (and gives a single scale).
    pub short_side: u32,
    /// Patches only: at most this many patches per photograph and scale.
    pub max_per_image: usize,
    /// Seed of the choice of patches.
    pub seed: u64,
}

impl BuildOptions {
    /// The defaults for `kind` at `size`: three channels, short side 256, at most 200 patches per
    /// photograph and scale, seed 0.
    pub fn new(kind: Kind, size: u32) -> Self {
        BuildOptions {
            kind,
            size,
            channels: 3,
            short_side: 256,
            max_per_image: 200,
            seed: 0,
        }
    }

    /// Builds the set from named photographs with these options.
    ///
    /// # Errors
    /// See [`patch_set`] and [`downsampled_set`].
    pub fn build(&self, photos: &[(String, Image)]) -> Result<Dataset> {
        match self.kind {
            Kind::Patches => patch_set(photos, self),
            Kind::Downsampled => downsampled_set(photos, self),
        }
    }
}

/// Integer box-filter factors at which a photograph with short side `short` is cut into
/// patches: one bringing the short side near `target`, and for photographs at least four times
/// larger, a second one bringing it near twice the target.
fn patch_factors(short: u32, target: u32) -> Vec<u32> {
    if target == 0 {
        return vec![1];
    }
    let near = |t: u32| ((short as f64 / t as f64).round() as u32).max(1);
    let mut f = vec![near(target)];
    if short >= 4 * target {
        f.push(near(2 * target));
    }
    f
}

/// Cuts every photograph into non-overlapping `size x size` patches (see the module docs).
///
/// # Errors
/// [`Error::InvalidArgument`] for a zero size or a channel count other than 1 or 3; an empty
/// result is an error too.
pub fn patch_set(photos: &[(String, Image)], opts: &BuildOptions) -> Result<Dataset> {
    check(opts)?;
    let s = opts.size;
    let mut set = Dataset::new(s, s, opts.channels, format!("patches{s}"));
    for (index, (name, photo)) in photos.iter().enumerate() {
        let photo = to_channels(photo, opts.channels)?;
        let short = photo.width.min(photo.height);
        for (scale, factor) in patch_factors(short, opts.short_side).into_iter().enumerate() {
            let shrunk = box_shrink(&photo, factor)?;
            let (nx, ny) = (shrunk.width / s, shrunk.height / s);
            let mut cells: Vec<(u32, u32)> =
                (0..ny).flat_map(|y| (0..nx).map(move |x| (x, y))).collect();
            if cells.len() > opts.max_per_image {
                let mut rng = SplitMix64::derived(opts.seed, (index as u64) << 8 | scale as u64);
                rng.shuffle(&mut cells);
                cells.truncate(opts.max_per_image);
                cells.sort_by_key(|&(x, y)| (y, x));
            }
            for (x, y) in cells {
                set.push(&crop(&shrunk, x * s, y * s, s, s), name)?;
            }
        }
    }
    if set.is_empty() {
        return Err(Error::invalid(format!(
            "no photograph is large enough for a {s}x{s} patch"
        )));
    }
    Ok(set)
}

/// Centre-crops each photograph to the largest square whose side is a multiple of `size` and
/// box-filters it down to `size x size`. Photographs smaller than `size` are skipped.
///
/// # Errors
/// As for [`patch_set`].
pub fn downsampled_set(photos: &[(String, Image)], opts: &BuildOptions) -> Result<Dataset> {
    check(opts)?;
    let s = opts.size;
    let mut set = Dataset::new(s, s, opts.channels, format!("downsampled{s}"));
    for (name, photo) in photos {
        let photo = to_channels(photo, opts.channels)?;
        let side = photo.width.min(photo.height) / s * s;
        if side == 0 {
            continue;
        }
        let (x, y) = ((photo.width - side) / 2, (photo.height - side) / 2);
        let square = crop(&photo, x, y, side, side);
        set.push(&box_shrink(&square, side / s)?, name)?;
    }
    if set.is_empty() {
        return Err(Error::invalid(format!(
            "no photograph is at least {s}x{s}"
        )));
    }
    Ok(set)
}

fn check(opts: &BuildOptions) -> Result<()> {
    if opts.size == 0 {
        return Err(Error::invalid("data set image size must be at least 1"));
    }
    if opts.channels != 1 && opts.channels != 3 {
        return Err(Error::invalid(format!(
            "data sets have 1 or 3 channels, asked for {}",
            opts.channels
        )));
    }
    Ok(())
}

/// The name under which photographs are grouped for splitting: the file name without extension
/// and without a stereo-pair suffix (`_left`, `_right`, `-left`, `-right`), so both views of a
/// stereo pair land on the same side.
fn group_of(source: &str) -> String {
    let stem = source.rsplit_once('.').map_or(source, |(s, _)| s);
    for suffix in ["_left", "_right", "-left", "-right"] {
        if let Some(base) = stem.strip_suffix(suffix) {
            return base.to_string();
        }
    }
    stem.to_string()
}

/// Splits a set by source photograph: a seeded draw puts about `test_fraction` of the source
/// groups (at least one when the fraction is positive and there are two groups or more) on the
/// test side, with all their images. Returns (train, test).
///
/// # Errors
/// [`Error::InvalidArgument`] if `test_fraction` is not in [0, 1).
pub fn split_by_source(set: &Dataset, test_fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
    if !(0.0..1.0).contains(&test_fraction) {
        return Err(Error::invalid(format!(
            "test fraction {test_fraction} is not in [0, 1)"
        )));
    }
    let mut groups: Vec<String> = set.sources.iter().map(|s| group_of(s)).collect();
    groups.sort();
    groups.dedup();
    let mut n_test = (groups.len() as f64 * test_fraction).round() as usize;
    if test_fraction > 0.0 && groups.len() >= 2 {
        n_test = n_test.clamp(1, groups.len() - 1);
    }
    SplitMix64::new(seed).shuffle(&mut groups);
    let test_groups = &groups[..n_test];
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for i in 0..set.len() {
        let g = group_of(&set.sources[set.source_of[i] as usize]);
        if test_groups.contains(&g) {
            test.push(i);
        } else {
            train.push(i);
        }
    }
    Ok((set.subset(&train), set.subset(&test)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(w: u32, h: u32, seed: u8) -> Image {
        let px = (0..w * h * 3)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect();
        Image::new(w, h, 3, px).unwrap()
    }

    #[test]
    fn patch_factors_pick_one_or_two_scales() {
        assert_eq!(patch_factors(360, 256), vec![1]);
        assert_eq!(patch_factors(1440, 256), vec![6, 3]);
        assert_eq!(patch_factors(500, 0), vec![1]);
    }

    #[test]
    fn patches_are_grid_cells_of_the_shrunk_photo_and_reproducible() {
        let photos = vec![("a.png".to_string(), photo(70, 40, 1))];
        let mut opts = BuildOptions::new(Kind::Patches, 16);
        opts.short_side = 0;
        let set = patch_set(&photos, &opts).unwrap();
        assert_eq!(set.len(), 4 * 2);
        assert_eq!(set.image(5), crop(&photos[0].1, 16, 16, 16, 16));
        opts.max_per_image = 3;
        let capped = patch_set(&photos, &opts).unwrap();
        assert_eq!(capped.len(), 3);
        assert_eq!(capped, patch_set(&photos, &opts).unwrap());
    }

    #[test]
    fn downsampled_is_the_box_filtered_centre_square() {
        let p = photo(50, 40, 3);
        let opts = BuildOptions::new(Kind::Downsampled, 8);
        let set = downsampled_set(&[("p.png".into(), p.clone())], &opts).unwrap();
        assert_eq!(set.len(), 1);
        let expect = box_shrink(&crop(&p, 5, 0, 40, 40), 5).unwrap();
        assert_eq!(set.image(0), expect);
    }

    #[test]
    fn grayscale_photo_is_replicated_in_an_rgb_set() {
        let g = Image::new(8, 8, 1, (0..64).collect()).unwrap();
        let opts = BuildOptions::new(Kind::Downsampled, 8);
        let set = downsampled_set(&[("g.pgm".into(), g)], &opts).unwrap();
        assert_eq!(set.channels, 3);
        assert_eq!(&set.bytes(0)[..6], &[0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn split_keeps_every_source_on_one_side_and_stereo_twins_together() {
        let names = ["a.png", "b.png", "c.png", "d.png", "m_left.png", "m_right.png"];
        let photos: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), photo(32, 32, i as u8)))
            .collect();
        let mut opts = BuildOptions::new(Kind::Patches, 16);
        opts.short_side = 0;
        let set = patch_set(&photos, &opts).unwrap();
        for seed in 0..20 {
            let (train, test) = split_by_source(&set, 0.4, seed).unwrap();
            assert_eq!(train.len() + test.len(), set.len());
            assert!(!test.is_empty() && !train.is_empty());
            let src = |d: &Dataset| -> Vec<String> {
                let mut v: Vec<String> =
                    d.source_of.iter().map(|&s| d.sources[s as usize].clone()).collect();
                v.sort();
                v.dedup();
                v
            };
            let (a, b) = (src(&train), src(&test));
            assert!(a.iter().all(|s| !b.contains(s)));
            let left_in_test = b.contains(&"m_left.png".to_string());
            assert_eq!(left_in_test, b.contains(&"m_right.png".to_string()));
        }
        assert_eq!(
            split_by_source(&set, 0.4, 3).unwrap(),
            split_by_source(&set, 0.4, 3).unwrap()
        );
    }
}
