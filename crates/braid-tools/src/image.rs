//! Checking an image a tool returned before it joins the conversation, so that only images every
//! provider accepts are attached and anything else is named in the output text instead.
//!
//! The check matters more than it looks: the history is sent again with every request, so one image a
//! provider refuses (bad base64, a media type that does not match the bytes) would make every later
//! request of the session fail, not just the one that carried it first.

use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::{Engine, alphabet};
use braid_protocol::ToolImage;

/// Largest image braid attaches, in base64 characters. Anthropic's API refuses images above 5 MB, the
/// tightest limit of the providers braid speaks to.
pub const MAX_ENCODED_BYTES: usize = 5 * 1024 * 1024;

/// Why an image was not attached; the text goes into the tool's output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRejected {
    #[error("braid attaches PNG, JPEG, GIF and WebP images, not {0}")]
    UnsupportedType(String),
    #[error("it is larger than the 5 MiB providers accept")]
    TooLarge,
    #[error("its data is not valid base64")]
    NotBase64,
    #[error("its bytes are not {declared} data")]
    Mismatch { declared: String },
    #[error("it is {width}x{height} pixels, and providers accept at most {MAX_SIDE} on a side")]
    TooWide { width: u32, height: u32 },
}

/// Most pixels on either side of an image braid attaches: Anthropic's API refuses larger ones (OpenAI's
/// scales them down).
pub const MAX_SIDE: u32 = 8000;

/// Base64 as MCP servers send it: the standard alphabet, padded or not.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `data` (base64, line breaks allowed) as an image of `mime_type`, re-encoded in canonical base64,
/// or why it cannot be attached. Returns the decoded size too, for the line that names the image.
pub fn check_image(mime_type: &str, data: &str) -> Result<(ToolImage, usize), ImageRejected> {
    let mime_type = mime_type.trim().to_ascii_lowercase();
    if !ToolImage::MEDIA_TYPES.contains(&mime_type.as_str()) {
        return Err(ImageRejected::UnsupportedType(mime_type));
    }
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() > MAX_ENCODED_BYTES {
        return Err(ImageRejected::TooLarge);
    }
    let bytes = LENIENT.decode(&compact).map_err(|_| ImageRejected::NotBase64)?;
    let Some(kind) = sniff(&bytes).filter(|kind| *kind == mime_type) else {
        return Err(ImageRejected::Mismatch { declared: mime_type });
    };
    // A header too short to give the size is a broken file, which providers refuse too.
    let Some((width, height)) = dimensions(kind, &bytes) else {
        return Err(ImageRejected::Mismatch { declared: mime_type });
    };
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageRejected::TooWide { width, height });
    }
    let len = bytes.len();
    Ok((ToolImage { mime_type, data: STANDARD.encode(bytes) }, len))
}

/// The media type the file's signature says it is.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The width and height in pixels from the header of a file of `kind` (as `sniff` named it), or `None`
/// when the header is cut short.
fn dimensions(kind: &str, bytes: &[u8]) -> Option<(u32, u32)> {
    match kind {
        // The first chunk is IHDR: width and height as 32-bit big-endian numbers.
        "image/png" => match bytes.get(12..16)? {
            b"IHDR" => Some((be32(bytes, 16)?, be32(bytes, 20)?)),
            _ => None,
        },
        // The logical screen descriptor follows the six-byte signature.
        "image/gif" => Some((le16(bytes, 6)?, le16(bytes, 8)?)),
        "image/jpeg" => jpeg_dimensions(bytes),
        // The first chunk after the RIFF header says which of the three encodings follows.
        "image/webp" => match bytes.get(12..16)? {
            b"VP8 " => Some((le16(bytes, 26)? & 0x3fff, le16(bytes, 28)? & 0x3fff)),
            b"VP8L" => {
                let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
                Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8X" => Some((le24(bytes, 24)? + 1, le24(bytes, 27)? + 1)),
            _ => None,
        },
        _ => None,
    }
}

/// A JPEG's size from its start-of-frame segment, found by walking the segments before it.
fn jpeg_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        if *bytes.get(at)? != 0xff {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Fill bytes before a marker.
            0xff => at += 1,
            // Markers without a length.
            0x01 | 0xd0..=0xd7 => at += 2,
            // Start of frame, in any of its codings (C4, C8 and CC are other segments).
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                return Some((be16(bytes, at + 7)?, be16(bytes, at + 5)?));
            }
            _ => at += 2 + usize::try_from(be16(bytes, at + 2)?).ok()?,
        }
    }
}

/// The header fields image formats use, read at `at`, or `None` past the end.
fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?)))
}

fn le16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?)))
}

fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid PNG: a 1x1 transparent pixel.
    const PIXEL: &str =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

    #[test]
    fn a_valid_image_is_attached_in_canonical_base64() {
        let (image, len) = check_image("image/PNG", PIXEL).unwrap();
        assert_eq!((image.mime_type.as_str(), image.data.as_str(), len), ("image/png", PIXEL, 70));
        // Line breaks and missing padding, as some servers send them, come out canonical.
        let wrapped = format!("{}\n{}", &PIXEL[..40], PIXEL[40..].trim_end_matches('='));
        assert_eq!(check_image("image/png", &wrapped).unwrap().0.data, PIXEL);
    }

    #[test]
    fn images_providers_would_refuse_are_rejected_with_the_reason() {
        assert_eq!(check_image("image/bmp", PIXEL), Err(ImageRejected::UnsupportedType("image/bmp".into())));
        assert_eq!(check_image("image/png", "not base64!"), Err(ImageRejected::NotBase64));
        assert_eq!(
            check_image("image/jpeg", PIXEL),
            Err(ImageRejected::Mismatch { declared: "image/jpeg".into() }),
            "a PNG declared as JPEG"
        );
        let huge = "A".repeat(MAX_ENCODED_BYTES + 4);
        assert_eq!(check_image("image/png", &huge), Err(ImageRejected::TooLarge));
        assert_eq!(ImageRejected::TooLarge.to_string(), "it is larger than the 5 MiB providers accept");
    }

    #[test]
    fn sizes_are_read_from_each_formats_header_and_oversized_images_rejected() {
        use base64::engine::general_purpose::STANDARD;
        let png = |width: u32, height: u32| {
            let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
            bytes.extend(width.to_be_bytes());
            bytes.extend(height.to_be_bytes());
            bytes
        };
        assert_eq!(dimensions("image/png", &STANDARD.decode(PIXEL).unwrap()), Some((1, 1)));
        assert_eq!(dimensions("image/png", &png(8000, 20)), Some((8000, 20)));
        assert_eq!(dimensions("image/png", &png(8000, 20)[..22]), None, "cut short");
        assert_eq!(dimensions("image/gif", b"GIF89a\x40\x01\xf0\x00"), Some((320, 240)));
        // A JPEG with an APP0 segment and a fill byte before its baseline frame header.
        let jpeg = b"\xff\xd8\xff\xe0\x00\x04JF\xff\xff\xc0\x00\x11\x08\x01\xe0\x02\x80";
        assert_eq!(dimensions("image/jpeg", jpeg), Some((640, 480)));
        assert_eq!(dimensions("image/jpeg", &jpeg[..12]), None);
        let webp = |chunk: &[u8], rest: &[u8]| [b"RIFF\0\0\0\0WEBP".as_slice(), chunk, rest].concat();
        assert_eq!(dimensions("image/webp", &webp(b"VP8X", b"\0\0\0\0\0\0\0\0\x3f\x01\0\xef\0\0")), Some((320, 240)));
        assert_eq!(dimensions("image/webp", &webp(b"VP8L", b"\0\0\0\0\x2f\x3f\xc1\x3b\0")), Some((320, 240)));
        // The chunk's size and the frame tag (seven bytes), then the start code, width and height.
        let lossy = [&[0u8; 7][..], b"\x9d\x01\x2a\x40\x01\xf0\x00"].concat();
        assert_eq!(dimensions("image/webp", &webp(b"VP8 ", &lossy)), Some((320, 240)));

        let wide = STANDARD.encode(png(8001, 10));
        assert_eq!(check_image("image/png", &wide), Err(ImageRejected::TooWide { width: 8001, height: 10 }));
        assert_eq!(
            ImageRejected::TooWide { width: 8001, height: 10 }.to_string(),
            "it is 8001x10 pixels, and providers accept at most 8000 on a side"
        );
        assert!(check_image("image/png", &STANDARD.encode(png(8000, 10))).is_ok());
        let broken = STANDARD.encode(&png(8000, 10)[..20]);
        assert_eq!(check_image("image/png", &broken), Err(ImageRejected::Mismatch { declared: "image/png".into() }));
    }

    #[test]
    fn every_attachable_type_is_recognised_by_its_signature() {
        assert_eq!(sniff(b"\xff\xd8\xff\xe0rest"), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a...."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b""), None);
    }
}
