//! Bounds-checked, endian-aware reads from untrusted bytes.
//!
//! Every offset and length taken from a file goes through these helpers, which
//! return `None` instead of panicking when arithmetic overflows or the range is
//! outside the data.

use crate::Endian;

/// A view of untrusted bytes with a fixed byte order.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    endian: Endian,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], endian: Endian) -> Self {
        Reader { bytes, endian }
    }

    /// The byte order multi-byte reads use.
    pub(crate) fn endian(&self) -> Endian {
        self.endian
    }

    /// Total number of bytes in the view.
    pub(crate) fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The bytes in `offset..offset + len`, if that range is inside the view.
    pub(crate) fn bytes_at(&self, offset: u64, len: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(offset).ok()?;
        let len = usize::try_from(len).ok()?;
        let end = start.checked_add(len)?;
        self.bytes.get(start..end)
    }

    /// Whether `offset..offset + len` is inside the view.
    pub(crate) fn contains(&self, offset: u64, len: u64) -> bool {
        offset.checked_add(len).is_some_and(|end| end <= self.len())
    }

    fn array_at<const N: usize>(&self, offset: u64) -> Option<[u8; N]> {
        self.bytes_at(offset, N as u64)?.try_into().ok()
    }

    pub(crate) fn u16_at(&self, offset: u64) -> Option<u16> {
        let raw = self.array_at::<2>(offset)?;
        Some(match self.endian {
            Endian::Little => u16::from_le_bytes(raw),
            Endian::Big => u16::from_be_bytes(raw),
        })
    }

    pub(crate) fn u32_at(&self, offset: u64) -> Option<u32> {
        let raw = self.array_at::<4>(offset)?;
        Some(match self.endian {
            Endian::Little => u32::from_le_bytes(raw),
            Endian::Big => u32::from_be_bytes(raw),
        })
    }

    pub(crate) fn u64_at(&self, offset: u64) -> Option<u64> {
        let raw = self.array_at::<8>(offset)?;
        Some(match self.endian {
            Endian::Little => u64::from_le_bytes(raw),
            Endian::Big => u64::from_be_bytes(raw),
        })
    }

    /// Reads an address-sized word: 8 bytes when `is_64`, else 4 bytes.
    pub(crate) fn word_at(&self, offset: u64, is_64: bool) -> Option<u64> {
        if is_64 {
            self.u64_at(offset)
        } else {
            self.u32_at(offset).map(u64::from)
        }
    }
}

/// The bytes of the NUL-terminated string at the start of `bytes`, if a NUL
/// occurs within the first `max_len + 1` bytes.
pub(crate) fn c_string(bytes: &[u8], max_len: usize) -> Option<&[u8]> {
    let window = &bytes[..bytes.len().min(max_len.saturating_add(1))];
    let end = window.iter().position(|&byte| byte == 0)?;
    Some(&window[..end])
}

/// The first four bytes of `bytes`, if there are that many.
pub(crate) fn magic(bytes: &[u8]) -> Option<[u8; 4]> {
    bytes.get(..4)?.try_into().ok()
}

/// Rounds `value` up to a multiple of `align` (a power of two), or `None` on
/// overflow.
pub(crate) fn align_up(value: u64, align: u64) -> Option<u64> {
    let mask = align.checked_sub(1)?;
    value.checked_add(mask).map(|sum| sum & !mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_byte_orders() {
        let data = [1, 2, 3, 4, 5, 6, 7, 8];
        let little = Reader::new(&data, Endian::Little);
        let big = Reader::new(&data, Endian::Big);
        assert_eq!(little.u16_at(0), Some(0x0201));
        assert_eq!(big.u16_at(0), Some(0x0102));
        assert_eq!(little.u32_at(4), Some(0x0807_0605));
        assert_eq!(big.u64_at(0), Some(0x0102_0304_0506_0708));
        assert_eq!(big.word_at(4, false), Some(0x0506_0708));
    }

    #[test]
    fn out_of_range_reads_are_none() {
        let data = [0u8; 8];
        let reader = Reader::new(&data, Endian::Little);
        assert_eq!(reader.u64_at(1), None);
        assert_eq!(reader.u32_at(u64::MAX), None);
        assert_eq!(reader.bytes_at(u64::MAX - 1, 4), None);
        assert_eq!(reader.bytes_at(8, 0), Some(&[][..]));
        assert!(!reader.contains(4, u64::MAX));
        assert!(reader.contains(0, 8));
    }

    #[test]
    fn c_string_needs_terminator_within_limit() {
        assert_eq!(c_string(b"abc\0def", 10), Some(&b"abc"[..]));
        assert_eq!(c_string(b"abc", 10), None);
        assert_eq!(c_string(b"abcdef\0", 3), None);
        assert_eq!(c_string(b"abc\0", 3), Some(&b"abc"[..]));
    }

    #[test]
    fn align_up_rounds_and_detects_overflow() {
        assert_eq!(align_up(5, 4), Some(8));
        assert_eq!(align_up(8, 8), Some(8));
        assert_eq!(align_up(u64::MAX, 4), None);
    }
}
