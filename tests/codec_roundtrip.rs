//! End-to-end local bits-back coding with small random models: exact round trips, codelength
//! against the model's bound, errors on damaged archives.
#![cfg(feature = "torch")]

use flowbb::codec::{info, Coder, CoderOptions};
use flowbb::flow::{DequantConfig, FlowConfig, FlowModel};
use flowbb::{Error, Image};
use tch::{Device, Kind, Tensor};

/// Smooth-ish synthetic images: gradients plus deterministic noise.
fn images(n: usize, w: u32, h: u32, c: u8, seed: u64) -> Vec<Image> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    (0..n)
        .map(|k| {
            let mut px = Vec::with_capacity((w * h * c as u32) as usize);
            for y in 0..h {
                for x in 0..w {
                    for ch in 0..c {
                        let base = (x * 7 + y * 5 + ch as u32 * 40 + k as u32 * 13) % 200;
                        px.push((base + (next() % 24) as u32) as u8);
                    }
                }
            }
            Image::new(w, h, c, px).unwrap()
        })
        .collect()
}

fn model(cfg: &FlowConfig, init_images: &[Image]) -> FlowModel {
    tch::manual_seed(3);
    let m = FlowModel::new(cfg, Device::Cpu, Kind::Float).unwrap();
    let (c, h, w) = (cfg.channels, cfg.height, cfg.width);
    let flat: Vec<u8> = init_images
        .iter()
        .flat_map(|im| {
            // HWC -> CHW
            let mut t = vec![0u8; im.pixels.len()];
            let (iw, ih, ic) = (im.width as usize, im.height as usize, im.channels as usize);
            for y in 0..ih {
                for x in 0..iw {
                    for ch in 0..ic {
                        t[(ch * ih + y) * iw + x] = im.pixels[(y * iw + x) * ic + ch];
                    }
                }
            }
            t
        })
        .collect();
    let x = Tensor::from_slice(&flat).reshape([init_images.len() as i64, c, h, w]);
    m.data_dependent_init(&x).unwrap();
    m
}

fn opts(streams: usize, batch: usize) -> CoderOptions {
    CoderOptions {
        streams,
        batch_size: batch,
        ..Default::default()
    }
}

#[test]
fn round_trip_is_exact_and_codelength_matches_the_bound() {
    let cfg = FlowConfig::tiny(3, 8, 8);
    let ims = images(12, 8, 8, 3, 1);
    let m = model(&cfg, &ims);
    let bytes_of = |m: &FlowModel| m.to_bytes().unwrap();
    for algorithm in [
        flowbb::codec::Algorithm::Compositional,
        flowbb::codec::Algorithm::CompositionalSubflows,
    ] {
        let again = FlowModel::from_bytes(&bytes_of(&m), Device::Cpu, Kind::Float).unwrap();
        let coder = Coder::new(
            again,
            CoderOptions {
                algorithm,
                ..opts(4, 5)
            },
        )
        .unwrap();
        let (bytes, stats) = coder.compress(&ims).unwrap();
        assert_eq!(coder.decompress(&bytes).unwrap(), ims, "{algorithm:?}");
        assert_eq!(info(&bytes).unwrap().header.params.algorithm, algorithm);
        assert!(
            (stats.tile_bpd - stats.sample_bound_bpd).abs() < 0.01,
            "{algorithm:?}: net {} vs bound {}",
            stats.tile_bpd,
            stats.sample_bound_bpd
        );
    }

    let coder = Coder::new(m, opts(4, 5)).unwrap();
    let (bytes, stats) = coder.compress(&ims).unwrap();
    let back = coder.decompress(&bytes).unwrap();
    assert_eq!(back, ims);
    println!("{stats:#?}");
    // The net codelength tracks the negative ELBO at the coded noise to within 0.01 bpd.
    assert!(
        (stats.tile_bpd - stats.sample_bound_bpd).abs() < 0.01,
        "net {} vs bound {}",
        stats.tile_bpd,
        stats.sample_bound_bpd
    );
    assert!(stats.initial_bits > 0);
    let i = info(&bytes).unwrap();
    assert_eq!(i.header.images.len(), 12);
}

#[test]
fn odd_sizes_grayscale_and_chunks_round_trip() {
    let cfg = FlowConfig::tiny(3, 8, 8);
    let mut ims = images(2, 13, 9, 3, 2);
    ims.extend(images(2, 8, 17, 1, 3));
    let coder = Coder::new(
        model(&cfg, &images(8, 8, 8, 3, 4)),
        CoderOptions {
            chunk_images: Some(3),
            ..opts(3, 4)
        },
    )
    .unwrap();
    let (bytes, _) = coder.compress(&ims).unwrap();
    assert_eq!(info(&bytes).unwrap().header.chunk_tiles.len(), 2);
    assert_eq!(coder.decompress(&bytes).unwrap(), ims);
}

#[test]
fn uniform_dequantization_round_trips() {
    let mut cfg = FlowConfig::tiny(3, 8, 8);
    cfg.dequant = DequantConfig::Uniform;
    let ims = images(3, 8, 8, 3, 5);
    let coder = Coder::new(model(&cfg, &ims), opts(2, 2)).unwrap();
    let (bytes, stats) = coder.compress(&ims).unwrap();
    assert_eq!(coder.decompress(&bytes).unwrap(), ims);
    assert!(
        (stats.tile_bpd - stats.sample_bound_bpd).abs() < 0.01,
        "{stats:?}"
    );
}

#[test]
fn damaged_and_foreign_archives_give_errors() {
    let cfg = FlowConfig::tiny(3, 8, 8);
    let ims = images(2, 8, 8, 3, 6);
    let coder = Coder::new(model(&cfg, &ims), opts(2, 2)).unwrap();
    let (bytes, _) = coder.compress(&ims).unwrap();

    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    assert!(matches!(
        coder.decompress(&flipped),
        Err(Error::Corrupt { .. })
    ));
    assert!(matches!(
        coder.decompress(&bytes[..bytes.len() - 9]),
        Err(Error::Corrupt { .. })
    ));
    assert!(coder.decompress(b"not an archive at all").is_err());

    tch::manual_seed(99);
    let other = Coder::new(
        FlowModel::new(&cfg, Device::Cpu, Kind::Float).unwrap(),
        opts(2, 2),
    )
    .unwrap();
    assert!(matches!(
        other.decompress(&bytes),
        Err(Error::ModelMismatch(_))
    ));
}

#[test]
#[ignore]
fn explore_overhead() {
    let cfg = FlowConfig::tiny(3, 8, 8);
    let ims = images(64, 8, 8, 3, 1);
    for (sig, streams) in [(-10, 1), (-14, 1), (-18, 1), (-14, 16)] {
        let coder = Coder::new(
            model(&cfg, &ims),
            CoderOptions {
                sigma_log2: sig,
                streams,
                batch_size: 64,
                ..Default::default()
            },
        )
        .unwrap();
        let (_, s) = coder.compress(&ims).unwrap();
        println!(
            "sigma 2^{sig} streams {streams}: net {:.5} bound {:.5} diff {:.5}",
            s.tile_bpd,
            s.sample_bound_bpd,
            s.tile_bpd - s.sample_bound_bpd
        );
    }
}

#[test]
fn black_box_round_trips_and_matches_the_bound() {
    let cfg = FlowConfig::tiny(3, 4, 4);
    let ims = images(3, 4, 4, 3, 8);
    let coder = Coder::new(
        model(&cfg, &images(8, 4, 4, 3, 9)),
        CoderOptions {
            algorithm: flowbb::codec::Algorithm::BlackBox,
            streams: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let (bytes, stats) = coder.compress(&ims).unwrap();
    assert_eq!(coder.decompress(&bytes).unwrap(), ims);
    println!("black box: {stats:?}");
    assert!(
        (stats.tile_bpd - stats.sample_bound_bpd).abs() < 0.05,
        "{stats:?}"
    );
}

#[test]
#[ignore]
fn explore_default_model_single_image() {
    let m = FlowModel::default_model().unwrap();
    let ims = images(64, 32, 32, 3, 11);
    for n in [1usize, 64] {
        for streams in [1usize, 16] {
            let bytes = m.to_bytes().unwrap();
            let coder = Coder::new(
                FlowModel::from_bytes(&bytes, Device::Cpu, Kind::Float).unwrap(),
                opts(streams, 64),
            )
            .unwrap();
            let (_, s) = coder.compress(&ims[..n]).unwrap();
            println!(
                "n {n} streams {streams}: net {:.4} bound {:.4} initial {:.3} seconds {:.3} network {:.3}",
                s.tile_bpd, s.sample_bound_bpd, s.initial_bpd, s.seconds, s.network_seconds
            );
        }
    }
}

#[test]
#[ignore]
fn explore_real_image() {
    let ds = flowbb::data::Dataset::load(std::path::Path::new(
        "/work/wt/train/data/test-downsampled32.fbd",
    ))
    .unwrap();
    let m = FlowModel::default_model().unwrap();
    let bytes = m.to_bytes().unwrap();
    for i in 0..ds.len() {
        let im = vec![ds.image(i)];
        for streams in [1usize, 16] {
            let coder = Coder::new(
                FlowModel::from_bytes(&bytes, Device::Cpu, Kind::Float).unwrap(),
                opts(streams, 64),
            )
            .unwrap();
            let (_, s) = coder.compress(&im).unwrap();
            println!(
                "image {i} streams {streams}: net {:.4} bound {:.4} initial {:.3}",
                s.tile_bpd, s.sample_bound_bpd, s.initial_bpd
            );
        }
    }
}
