//! The archive parser never panics, whatever the bytes, and rejects every damaged archive.

use flowbb::codec::{Algorithm, Archive, CoderParams, Header, ImageEntry};
use proptest::prelude::*;

fn archive(images: usize, chunk: Vec<u8>) -> Archive {
    Archive {
        header: Header {
            model_fingerprint: 1,
            numerics_fingerprint: 2,
            params: CoderParams {
                sigma_log2: -14,
                delta_log2: -32,
                range_log2: 8,
                streams: 4,
                batch_size: 8,
                seed: 3,
                algorithm: Algorithm::Compositional,
                ramp: true,
                net_threads: 2,
            },
            tile: (32, 32, 3),
            images: (0..images)
                .map(|i| ImageEntry {
                    width: 32,
                    height: 32,
                    channels: 3,
                    crc32: i as u32,
                })
                .collect(),
            chunk_tiles: vec![images as u32],
        },
        chunks: vec![chunk],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Archive::from_bytes(&bytes);
        let _ = Archive::header_from_bytes(&bytes);
    }

    #[test]
    fn archives_with_random_damage_are_rejected(
        images in 1usize..5,
        chunk in proptest::collection::vec(any::<u8>(), 0..64),
        pos in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let bytes = archive(images, chunk).to_bytes();
        let mut damaged = bytes.clone();
        let i = pos.index(damaged.len());
        damaged[i] ^= mask;
        prop_assert!(Archive::from_bytes(&damaged).is_err());
        // Valid magic with a random tail must not panic either.
        let mut tail = bytes[..12].to_vec();
        tail.extend_from_slice(&bytes[i..]);
        let _ = Archive::from_bytes(&tail);
    }
}
