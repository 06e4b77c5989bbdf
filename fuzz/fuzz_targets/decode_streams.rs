//! Decodes arbitrary bytes as rANS streams with models chosen by the input; decoding must
//! never panic, and whatever decodes must re-encode to the very same bytes.
#![no_main]

use flowbb::ans::{ArGaussian, Grid, Streams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (ctl, rest) = data.split_at(4);
    // Half of the inputs get a valid header so that the words themselves are exercised.
    let bytes = if ctl[0] & 1 == 0 {
        rest.to_vec()
    } else {
        let n = 1 + (ctl[0] >> 1) as u32 % 4;
        let mut b = b"FBBS".to_vec();
        b.extend_from_slice(&1u16.to_le_bytes());
        b.push(32);
        b.push(26);
        b.extend_from_slice(&n.to_le_bytes());
        let body = rest.len() / n as usize;
        for i in 0..n as usize {
            let chunk = &rest[i * body..(i + 1) * body];
            let state = if chunk.len() >= 8 {
                u64::from_le_bytes(chunk[..8].try_into().unwrap()) | (1 << 32)
            } else {
                1 << 40
            };
            let words = chunk.get(8..).unwrap_or(&[]);
            let w = words.len() / 4;
            b.extend_from_slice(&state.to_le_bytes());
            b.extend_from_slice(&(w as u64).to_le_bytes());
            b.extend_from_slice(&words[..4 * w]);
        }
        b
    };
    let Ok(mut st) = Streams::from_bytes(&bytes) else {
        return;
    };
    let g = Grid::new(32, -256.0, 256.0).unwrap();
    let mean = (ctl[1] as f64 - 128.0) * 2.5;
    let std = ((ctl[2] as f64) / 4.0 - 40.0).exp2();
    let n = 1 + ctl[3] as usize % 16;
    for round in 0..64 {
        let before = st.to_bytes();
        let mut out = vec![0u64; n];
        let mut back;
        match (ctl[3] as usize + round) % 4 {
            0 => {
                if st.decode_gaussian(&g, &vec![mean; n], &vec![std; n], &mut out).is_err() {
                    return;
                }
                back = st.clone();
                back.encode_gaussian(&g, &out, &vec![mean; n], &vec![std; n]).unwrap();
            }
            1 => {
                if st.decode_std_normal(&g, &mut out).is_err() {
                    return;
                }
                back = st.clone();
                back.encode_std_normal(&g, &out).unwrap();
            }
            2 => {
                let u = 1 + (ctl[1] as u64) * (1u64 << (ctl[2] % 56));
                if st.decode_uniform(u, &mut out).is_err() {
                    return;
                }
                back = st.clone();
                back.encode_uniform(u, &out).unwrap();
            }
            _ => {
                let m = [1.0, 0.5, 0.0, -0.25, 2.0, 0.0, 0.1, 0.2, 0.7];
                let ar = ArGaussian::from_matrix(&m, 3, std.min(1.0)).unwrap();
                let base = vec![mean; 3 * n];
                let mut out = vec![0u64; 3 * n];
                if st.decode_ar(&g, &ar, &base, &mut out).is_err() {
                    return;
                }
                back = st.clone();
                back.encode_ar(&g, &ar, &base, &out).unwrap();
            }
        }
        assert_eq!(back.to_bytes(), before);
    }
});
