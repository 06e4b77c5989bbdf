//! Images crossing the C boundary: borrowed views in, owned lists out.

use super::boundary::{arg_ref, arg_slice, out_arg, run, run_or, Failure, Outcome};
use super::error::{flowbb_error, flowbb_status};
use crate::Image;

/// An 8-bit image that the caller owns and lends to a call, or that a
/// `flowbb_image_list` lends to the caller.
///
/// Pixels are stored row by row from the top, each row from the left, with
/// the channels of a pixel next to each other (RGB RGB ... or grayscale):
/// `width * height * channels` bytes, no padding between rows.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct flowbb_image {
    /// Columns, at least 1.
    pub width: u32,
    /// Rows, at least 1.
    pub height: u32,
    /// 1 (grayscale) or 3 (RGB).
    pub channels: u32,
    /// `width * height * channels` bytes.
    pub pixels: *const u8,
}

/// Images made by libflowbb (decompressed or sampled).
///
/// Ownership: the caller owns the list and frees it with
/// `flowbb_image_list_free`; the pixels of the views that
/// `flowbb_image_list_get` gives belong to the list.
/// Threads: immutable; may be read from several threads at once.
pub struct flowbb_image_list {
    images: Vec<Image>,
}

impl flowbb_image_list {
    /// Hands a list of images over to the caller.
    pub(crate) fn boxed(images: Vec<Image>) -> *mut flowbb_image_list {
        Box::into_raw(Box::new(flowbb_image_list { images }))
    }
}

/// Copies the images the caller lends into library images, checking each
/// shape; `what` names the argument in messages.
///
/// # Safety
/// `images` is NULL or points to `count` views whose pixels hold the bytes
/// their shape says.
pub(crate) unsafe fn images_from_c(
    images: *const flowbb_image,
    count: usize,
    what: &str,
) -> Outcome<Vec<Image>> {
    let views = arg_slice(images, count, what)?;
    let mut out = Vec::with_capacity(views.len());
    for (i, v) in views.iter().enumerate() {
        let channels = u8::try_from(v.channels).map_err(|_| {
            Failure::invalid(format!(
                "{what}[{i}]: images have 1 or 3 channels, found {}",
                v.channels
            ))
        })?;
        let len = (v.width as usize)
            .checked_mul(v.height as usize)
            .and_then(|n| n.checked_mul(channels as usize))
            .ok_or_else(|| {
                Failure::invalid(format!(
                    "{what}[{i}]: {}x{} pixels do not fit in memory",
                    v.width, v.height
                ))
            })?;
        if v.pixels.is_null() {
            return Err(Failure::null(&format!("{what}[{i}].pixels")));
        }
        let pixels = std::slice::from_raw_parts(v.pixels, len).to_vec();
        let image = Image::new(v.width, v.height, channels, pixels)
            .map_err(|e| Failure::new(flowbb_status::of_error(&e), format!("{what}[{i}]: {e}")))?;
        out.push(image);
    }
    Ok(out)
}

/// Number of images in a list; 0 when `list` is NULL.
///
/// # Safety
/// `list` is NULL or a live list made by libflowbb.
#[no_mangle]
pub unsafe extern "C" fn flowbb_image_list_len(list: *const flowbb_image_list) -> usize {
    run_or(0, || list.as_ref().map_or(0, |l| l.images.len()))
}

/// Lends image `index` of a list: `*image` receives its shape and a pointer
/// to its pixels, valid until the list is freed.
///
/// Statuses: FLOWBB_OK; FLOWBB_NULL_ARGUMENT when `list` or `image` is
/// NULL; FLOWBB_INVALID_ARGUMENT when `index` is not below the list's
/// length.
///
/// # Safety
/// `list` is a live list made by libflowbb; `image` points to writable
/// storage for one `flowbb_image`.
#[no_mangle]
pub unsafe extern "C" fn flowbb_image_list_get(
    list: *const flowbb_image_list,
    index: usize,
    image: *mut flowbb_image,
    err: *mut *mut flowbb_error,
) -> flowbb_status {
    run(err, || {
        let list = arg_ref(list, "list")?;
        let out = out_arg(image, "image")?;
        let im = list.images.get(index).ok_or_else(|| {
            Failure::invalid(format!(
                "image index {index} is out of range: the list holds {} images",
                list.images.len()
            ))
        })?;
        *out = flowbb_image {
            width: im.width,
            height: im.height,
            channels: u32::from(im.channels),
            pixels: im.pixels.as_ptr(),
        };
        Ok(())
    })
}

/// Frees a list of images and their pixels. Does nothing when `list` is
/// NULL.
///
/// # Safety
/// `list` is NULL or a live list made by libflowbb; it and the views it
/// lent must not be used after.
#[no_mangle]
pub unsafe extern "C" fn flowbb_image_list_free(list: *mut flowbb_image_list) {
    run_or((), || {
        if !list.is_null() {
            drop(Box::from_raw(list));
        }
    })
}
