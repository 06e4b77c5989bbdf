//! Decoding never panics, whatever the bytes: random byte strings, and well-formed containers
//! holding random words, decoded with random models. Where decoding succeeds, re-encoding the
//! decoded symbols must give back the exact same bytes (decoding is a bijection onto streams).

use flowbb::ans::{ArGaussian, Grid, Streams};
use proptest::prelude::*;

/// Header of a container with `n` streams, as `Streams::to_bytes` writes it.
fn header(n: u32) -> Vec<u8> {
    let mut b = b"FBBS".to_vec();
    b.extend_from_slice(&1u16.to_le_bytes());
    b.push(32);
    b.push(26);
    b.extend_from_slice(&n.to_le_bytes());
    b
}

/// One decoding step chosen by `kind`, followed (if it succeeded) by the mirror encode on a
/// copy, which must restore the bytes exactly.
fn decode_and_check(st: &mut Streams, kind: u8, p: f64, q: f64, n: usize) -> bool {
    let g = Grid::new(32, -256.0, 256.0).unwrap();
    let before = st.to_bytes();
    let mut out = vec![0u64; n];
    let mean = p * 300.0;
    let std = (q * 80.0 - 60.0).exp2();
    let ok = match kind % 5 {
        0 => st
            .decode_gaussian(&g, &vec![mean; n], &vec![std; n], &mut out)
            .is_ok(),
        1 => st.decode_std_normal(&g, &mut out).is_ok(),
        2 => {
            let u = ((q * 63.0).exp2() as u64).max(1);
            let ok = st.decode_uniform(u, &mut out).is_ok();
            if ok {
                let mut back = st.clone();
                back.encode_uniform(u, &out).unwrap();
                assert_eq!(back.to_bytes(), before);
            }
            return ok;
        }
        3 => {
            let c = 3;
            let m = [1.0, p, 0.0, q, 1.5, 0.0, p * q, 0.25, 2.0];
            let Ok(ar) = ArGaussian::from_matrix(&m, c, std.min(1.0)) else {
                return true;
            };
            let n = n - n % c;
            let base = vec![mean; n];
            let mut out = vec![0; n];
            let ok = st.decode_ar(&g, &ar, &base, &mut out).is_ok();
            if ok {
                let mut back = st.clone();
                back.encode_ar(&g, &ar, &base, &out).unwrap();
                assert_eq!(back.to_bytes(), before);
            }
            return ok;
        }
        _ => {
            let g = Grid::new(6, 0.0, 1.0).unwrap();
            st.decode_gaussian(&g, &vec![p; n], &vec![std; n], &mut out)
                .is_ok()
        }
    };
    if ok {
        let mut back = st.clone();
        match kind % 5 {
            0 => back
                .encode_gaussian(&g, &out, &vec![mean; n], &vec![std; n])
                .unwrap(),
            1 => back.encode_std_normal(&g, &out).unwrap(),
            _ => {
                let g = Grid::new(6, 0.0, 1.0).unwrap();
                back.encode_gaussian(&g, &out, &vec![p; n], &vec![std; n])
                    .unwrap()
            }
        }
        assert_eq!(back.to_bytes(), before);
    }
    ok
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(mut st) = Streams::from_bytes(&bytes) {
            for k in 0..5u8 {
                if !decode_and_check(&mut st, k, 0.3, 0.5, 7) {
                    break;
                }
            }
        }
    }

    #[test]
    fn random_words_in_a_valid_container_decode_without_panic(
        streams in 1u32..5,
        states in proptest::collection::vec(any::<u64>(), 5),
        words in proptest::collection::vec(any::<u32>(), 0..300),
        steps in proptest::collection::vec((any::<u8>(), -1.5f64..1.5, 0.0f64..1.0, 1usize..40), 1..12),
    ) {
        let mut bytes = header(streams);
        let per = words.len() / streams as usize;
        for i in 0..streams as usize {
            bytes.extend_from_slice(&states[i].to_le_bytes());
            bytes.extend_from_slice(&(per as u64).to_le_bytes());
            for w in &words[i * per..(i + 1) * per] {
                bytes.extend_from_slice(&w.to_le_bytes());
            }
        }
        match Streams::from_bytes(&bytes) {
            Ok(mut st) => {
                prop_assert!(states[..streams as usize].iter().all(|&s| s >= 1 << 32));
                for (kind, p, q, n) in steps {
                    if !decode_and_check(&mut st, kind, p, q, n) {
                        break;
                    }
                }
            }
            Err(_) => prop_assert!(states[..streams as usize].iter().any(|&s| s < 1 << 32)),
        }
    }

    #[test]
    fn gaussian_round_trip_random_parameters(
        bits in 0u32..=40,
        log_std in -8.0f64..40.0,
        mean in -3.0f64..3.0,
        picks in proptest::collection::vec(0.0f64..1.0, 1..200),
    ) {
        let g = Grid::new(bits, -2.0, 2.0).unwrap();
        let std = (log_std - bits as f64).exp2();
        let syms: Vec<u64> = picks.iter().map(|&u| ((u * g.num_bins() as f64) as u64).min(g.num_bins() - 1)).collect();
        let n = syms.len();
        let mut st = Streams::new(3, bits as u64);
        let before = st.to_bytes();
        st.encode_gaussian(&g, &syms, &vec![mean; n], &vec![std; n]).unwrap();
        let mut out = vec![0; n];
        st.decode_gaussian(&g, &vec![mean; n], &vec![std; n], &mut out).unwrap();
        prop_assert_eq!(out, syms);
        prop_assert_eq!(st.to_bytes(), before);
    }
}
