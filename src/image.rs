//! 8-bit images as the library sees them: interleaved (height, width, channels) bytes with one
//! channel (grayscale) or three (RGB).

use crate::error::{Error, Result};

/// An 8-bit image, pixels stored row by row, channels interleaved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// 1 (grayscale) or 3 (RGB).
    pub channels: u8,
    /// `height * width * channels` bytes.
    pub pixels: Vec<u8>,
}

impl Image {
    /// Checks the shape against the pixel buffer and builds the image.
    pub fn new(width: u32, height: u32, channels: u8, pixels: Vec<u8>) -> Result<Self> {
        if channels != 1 && channels != 3 {
            return Err(Error::invalid(format!(
                "images have 1 (grayscale) or 3 (RGB) channels, found {channels}"
            )));
        }
        if width == 0 || height == 0 {
            return Err(Error::invalid(format!(
                "image is {width}x{height}: both sides must be at least 1"
            )));
        }
        let need = width as usize * height as usize * channels as usize;
        if pixels.len() != need {
            return Err(Error::invalid(format!(
                "a {width}x{height} image with {channels} channels needs {need} bytes, found {}",
                pixels.len()
            )));
        }
        Ok(Image {
            width,
            height,
            channels,
            pixels,
        })
    }

    /// Number of subpixels (`width * height * channels`), the "dimensions" of bits per dimension.
    pub fn dims(&self) -> usize {
        self.pixels.len()
    }

    /// The subpixel at row `y`, column `x`, channel `c`.
    pub fn at(&self, y: u32, x: u32, c: u8) -> u8 {
        self.pixels[((y as usize * self.width as usize + x as usize) * self.channels as usize)
            + c as usize]
    }
}
