//! Reading photograph folders and building data sets from them, on small synthetic images
//! written by the test itself.

use std::path::PathBuf;

use flowbb::data::{load_image, read_folder, split_by_source, BuildOptions, Dataset, Kind};
use flowbb::Image;

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flowbb-data-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rgb(w: u32, h: u32, seed: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            ((x * 3 + seed) % 256) as u8,
            ((y * 5 + seed * 7) % 256) as u8,
            ((x + y + seed) % 256) as u8,
        ])
    })
}

#[test]
fn png_ppm_and_gray_files_are_read_exactly() {
    let dir = temp_dir("read");
    let a = rgb(40, 24, 1);
    a.save(dir.join("a.png")).unwrap();
    let b = rgb(33, 35, 2);
    b.save(dir.join("b.ppm")).unwrap();
    let g = image::GrayImage::from_fn(20, 20, |x, y| image::Luma([(x * y % 256) as u8]));
    g.save(dir.join("c.png")).unwrap();
    std::fs::write(dir.join("notes.txt"), "not an image").unwrap();

    let photos = read_folder(&dir).unwrap();
    let names: Vec<&str> = photos.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.png", "b.ppm", "c.png"]);
    assert_eq!(photos[0].1, Image::new(40, 24, 3, a.into_raw()).unwrap());
    assert_eq!(photos[1].1, Image::new(33, 35, 3, b.into_raw()).unwrap());
    assert_eq!(photos[2].1, Image::new(20, 20, 1, g.into_raw()).unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unreadable_file_is_named_in_the_error() {
    let dir = temp_dir("bad");
    rgb(8, 8, 0).save(dir.join("good.png")).unwrap();
    std::fs::write(
        dir.join("broken.png"),
        b"\x89PNG\r\n\x1a\nthis is not a png",
    )
    .unwrap();
    let e = read_folder(&dir).unwrap_err().to_string();
    assert!(e.contains("broken.png"), "{e}");
    let e = load_image(&dir.join("missing.jpg"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.jpg"), "{e}");
    let empty = temp_dir("empty");
    assert!(read_folder(&empty)
        .unwrap_err()
        .to_string()
        .contains("no image files"));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&empty).ok();
}

#[test]
fn built_sets_are_reproducible_split_by_photo_and_survive_the_file_format() {
    let dir = temp_dir("build");
    for k in 0..6 {
        rgb(64 + 8 * k, 48, k)
            .save(dir.join(format!("p{k}.png")))
            .unwrap();
    }
    let photos = read_folder(&dir).unwrap();
    let mut opts = BuildOptions::new(Kind::Patches, 16);
    opts.short_side = 0;
    let set = opts.build(&photos).unwrap();
    // 3 rows of 4, 4, 5, 5, 6, 6 columns.
    assert_eq!(set.len(), 3 * (4 + 4 + 5 + 5 + 6 + 6));
    assert_eq!(set, opts.build(&photos).unwrap());

    let (train, test) = split_by_source(&set, 0.34, 9).unwrap();
    assert_eq!(train.len() + test.len(), set.len());
    for i in 0..test.len() {
        let src = &test.sources[test.source_of[i] as usize];
        assert!((0..train.len()).all(|j| &train.sources[train.source_of[j] as usize] != src));
    }

    let path = dir.join("set.fbd");
    test.save(&path).unwrap();
    assert_eq!(Dataset::load(&path).unwrap(), test);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 5);
    std::fs::write(&path, &bytes).unwrap();
    let e = Dataset::load(&path).unwrap_err().to_string();
    assert!(e.contains("set.fbd"), "{e}");

    let down = BuildOptions::new(Kind::Downsampled, 16)
        .build(&photos)
        .unwrap();
    assert_eq!(down.len(), 6);
    assert_eq!((down.width, down.height, down.channels), (16, 16, 3));
    std::fs::remove_dir_all(&dir).ok();
}
