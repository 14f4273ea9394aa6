//! Finding the end of a JSON object without parsing it.
//!
//! A CloudTrail record is located by brace depth, which only counts outside
//! strings, which in turn depends on escapes. This module computes, 64 bytes
//! at a time, which braces and brackets are structural (the technique of
//! simdjson's stage 1: bit masks, odd backslash runs, prefix XOR), so that
//! cutting a log file into records costs a small fraction of decompressing it.
//! The same pass reports where one key (the prefilter's `"eventName"`) occurs
//! in the object, so no second search runs over the bytes.

/// One 64-byte block's character classes, one bit per byte.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{` or `[`.
    open: u64,
    /// `}` or `]`.
    close: u64,
    /// The key pattern's anchor byte.
    anchor: u64,
    /// Bytes with bit 0x20 set: among brackets, `{` and `}` (not `[`, `]`).
    curly: u64,
}

/// A JSON string token (quotes included, such as `"eventName"`) whose every
/// occurrence in an object the scanner reports. A byte is a candidate when it
/// is a quote with the anchor byte and another quote at the token's offsets
/// before it; candidates are then compared byte for byte. Quote bytes count
/// whether escaped or not, so the result is exactly a byte search of the
/// object (overlapping matches included), never narrower: which occurrences
/// are real keys is for the prefilter and the parser to decide.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyPattern {
    bytes: &'static [u8],
    /// Index of the byte compared besides the quotes: the first uppercase
    /// ASCII letter (rarer than lowercase in JSON), else the middle byte.
    anchor: usize,
}

impl KeyPattern {
    /// Panics unless `bytes` is a quoted token of 3 to 64 bytes (at most 64,
    /// so that an occurrence ending in one block starts no earlier than the
    /// previous block, the only one whose masks are carried).
    pub(crate) const fn new(bytes: &'static [u8]) -> Self {
        let len = bytes.len();
        assert!(len >= 3 && len <= 64, "key pattern must be 3 to 64 bytes");
        assert!(
            bytes[0] == b'"' && bytes[len - 1] == b'"',
            "key pattern must be quoted"
        );
        let mut anchor = len / 2;
        let mut i = 1;
        while i < len - 1 {
            if bytes[i].is_ascii_uppercase() {
                anchor = i;
                break;
            }
            i += 1;
        }
        KeyPattern { bytes, anchor }
    }

    fn anchor_byte(&self) -> u8 {
        self.bytes[self.anchor]
    }
}

/// Computes a block's character classes. One implementation per instruction
/// set; the scan loop is compiled once for each, so the classifier inlines.
trait Classify {
    fn classify(block: &[u8; 64], anchor: u8) -> Masks;

    /// Bit i is the XOR of bits 0..=i (see `prefix_xor`).
    #[inline(always)]
    fn prefix_xor(bits: u64) -> u64 {
        prefix_xor(bits)
    }
}

/// Prefix XOR as one carry-less multiplication by all ones.
///
/// # Safety
/// The CPU must have PCLMULQDQ and SSE2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn prefix_xor_clmul(bits: u64) -> u64 {
    use std::arch::x86_64::{
        _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set1_epi8, _mm_set_epi64x,
    };
    _mm_cvtsi128_si64(_mm_clmulepi64_si128(
        _mm_set_epi64x(0, bits as i64),
        _mm_set1_epi8(-1),
        0,
    )) as u64
}

/// Portable: one byte at a time (and the reference for the SIMD versions).
#[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
struct Scalar;

impl Classify for Scalar {
    #[inline(always)]
    fn classify(block: &[u8; 64], anchor: u8) -> Masks {
        let mut masks = Masks::default();
        for (i, &byte) in block.iter().enumerate() {
            let bit = 1u64 << i;
            if byte == anchor {
                masks.anchor |= bit;
            }
            if byte & 0x20 != 0 {
                masks.curly |= bit;
            }
            match byte {
                b'"' => masks.quote |= bit,
                b'\\' => masks.backslash |= bit,
                b'{' | b'[' => masks.open |= bit,
                b'}' | b']' => masks.close |= bit,
                _ => {}
            }
        }
        masks
    }
}

/// SSE2: part of the x86_64 baseline, always available there.
#[cfg(target_arch = "x86_64")]
struct Sse2;

#[cfg(target_arch = "x86_64")]
impl Classify for Sse2 {
    #[inline(always)]
    fn classify(block: &[u8; 64], anchor: u8) -> Masks {
        use std::arch::x86_64::{
            __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of the x86_64 baseline; every load reads 16
        // bytes inside `block`, which is 64 bytes long.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            // `{` (0x7B) and `[` (0x5B) differ only in bit 0x20, as do `}` and `]`.
            let case_bit = _mm_set1_epi8(0x20);
            let open = _mm_set1_epi8(b'{' as i8);
            let close = _mm_set1_epi8(b'}' as i8);
            let anchor = _mm_set1_epi8(anchor as i8);
            let mut masks = Masks::default();
            for lane in 0..4 {
                let bytes = _mm_loadu_si128(block.as_ptr().add(lane * 16) as *const __m128i);
                let folded = _mm_or_si128(bytes, case_bit);
                let shift = lane * 16;
                let bits = |v| (_mm_movemask_epi8(v) as u32 as u64) << shift;
                masks.quote |= bits(_mm_cmpeq_epi8(bytes, quote));
                masks.backslash |= bits(_mm_cmpeq_epi8(bytes, backslash));
                masks.open |= bits(_mm_cmpeq_epi8(folded, open));
                masks.close |= bits(_mm_cmpeq_epi8(folded, close));
                masks.anchor |= bits(_mm_cmpeq_epi8(bytes, anchor));
                masks.curly |= bits(_mm_cmpeq_epi8(_mm_and_si128(bytes, case_bit), case_bit));
            }
            masks
        }
    }
}

/// AVX2: two 32-byte lanes per block. Only used after runtime detection.
#[cfg(target_arch = "x86_64")]
struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Classify for Avx2 {
    #[inline(always)]
    fn prefix_xor(bits: u64) -> u64 {
        // SAFETY: reached only through the AVX2 scan loop, which also
        // requires PCLMULQDQ and is called only when the CPU has it.
        unsafe { prefix_xor_clmul(bits) }
    }

    #[inline(always)]
    fn classify(block: &[u8; 64], anchor: u8) -> Masks {
        use std::arch::x86_64::{
            __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
            _mm256_set1_epi8,
        };
        // SAFETY: reached only through `scan_avx2`, which requires AVX2 and is
        // called only when the CPU has it; the loads stay inside `block`.
        unsafe {
            let lo = _mm256_loadu_si256(block.as_ptr() as *const __m256i);
            let hi = _mm256_loadu_si256(block.as_ptr().add(32) as *const __m256i);
            let bits = |byte: u8, fold: bool| {
                let target = _mm256_set1_epi8(byte as i8);
                let prepare = |v| {
                    if fold {
                        _mm256_or_si256(v, _mm256_set1_epi8(0x20))
                    } else {
                        v
                    }
                };
                let low =
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(prepare(lo), target)) as u32 as u64;
                let high =
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(prepare(hi), target)) as u32 as u64;
                low | high << 32
            };
            Masks {
                quote: bits(b'"', false),
                backslash: bits(b'\\', false),
                open: bits(b'{', true),
                close: bits(b'}', true),
                anchor: bits(anchor, false),
                // A byte has bit 0x20 set exactly when setting it changes nothing.
                curly: {
                    let same = |v| {
                        _mm256_movemask_epi8(_mm256_cmpeq_epi8(
                            v,
                            _mm256_or_si256(v, _mm256_set1_epi8(0x20)),
                        )) as u32 as u64
                    };
                    same(lo) | same(hi) << 32
                },
            }
        }
    }
}

/// AVX-512BW: one 64-byte compare per class, straight into a bit mask.
#[cfg(target_arch = "x86_64")]
struct Avx512;

#[cfg(target_arch = "x86_64")]
impl Classify for Avx512 {
    #[inline(always)]
    fn prefix_xor(bits: u64) -> u64 {
        // SAFETY: reached only through the AVX-512 scan loop, which also
        // requires PCLMULQDQ and is called only when the CPU has it.
        unsafe { prefix_xor_clmul(bits) }
    }

    #[inline(always)]
    fn classify(block: &[u8; 64], anchor: u8) -> Masks {
        use std::arch::x86_64::{
            _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_or_si512, _mm512_set1_epi8,
            _mm512_test_epi8_mask,
        };
        // SAFETY: reached only through `scan_avx512`, which requires AVX-512
        // F and BW and is called only when the CPU has them; the one 64-byte
        // load reads exactly `block`.
        unsafe {
            let bytes = _mm512_loadu_si512(block.as_ptr().cast());
            let folded = _mm512_or_si512(bytes, _mm512_set1_epi8(0x20));
            Masks {
                quote: _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(b'"' as i8)),
                backslash: _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(b'\\' as i8)),
                open: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'{' as i8)),
                close: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'}' as i8)),
                anchor: _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(anchor as i8)),
                curly: _mm512_test_epi8_mask(bytes, _mm512_set1_epi8(0x20)),
            }
        }
    }
}

/// How far ahead of the scan (in bytes) cache lines are requested. A document
/// held whole has usually left the core's own caches by the time it is
/// scanned, having been decompressed in one go. (Measured on the 1 GiB bench
/// corpus: 1 and 4 KiB both gain about 2.5% of a replay; 4 KiB slightly more.)
const PREFETCH_DISTANCE: usize = 4096;

const EVEN_BITS: u64 = 0x5555_5555_5555_5555;
const ODD_BITS: u64 = !EVEN_BITS;

/// Bits of the characters preceded by an odd run of backslashes (escaped),
/// carrying a run that ends a block into the next one.
fn escaped_chars(backslash: u64, carry: &mut u64) -> u64 {
    let start_edges = backslash & !(backslash << 1);
    let even_start_mask = EVEN_BITS ^ *carry;
    let even_starts = start_edges & even_start_mask;
    let odd_starts = start_edges & !even_start_mask;
    let even_carries = backslash.wrapping_add(even_starts);
    let (mut odd_carries, overflow) = backslash.overflowing_add(odd_starts);
    odd_carries |= *carry;
    *carry = overflow as u64;
    let even_carry_ends = even_carries & !backslash;
    let odd_carry_ends = odd_carries & !backslash;
    (even_carry_ends & ODD_BITS) | (odd_carry_ends & EVEN_BITS)
}

/// Bit i is the XOR of bits 0..=i: turns quote positions into "inside a string".
fn prefix_xor(mut bits: u64) -> u64 {
    bits ^= bits << 1;
    bits ^= bits << 2;
    bits ^= bits << 4;
    bits ^= bits << 8;
    bits ^= bits << 16;
    bits ^= bits << 32;
    bits
}

/// Why an object could not be delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StructureError {
    /// A `}` closed a `[`, or a `]` closed a `{`.
    Mismatched,
    /// Nesting went deeper than the configured limit.
    TooDeep,
}

/// Outcome of scanning more bytes of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// The object ends at this offset (the offset of its closing `}`),
    /// relative to the start of the object.
    Complete(usize),
    /// More bytes are needed; scanning resumes at this offset.
    NeedMore(usize),
}

/// Tracks one JSON object (or array) from its opening byte to its close,
/// resumable across buffer refills, and notes where its key pattern occurs.
/// Nesting is kept on a bit stack, so the depth limit is at most 128 and no
/// recursion is involved. One scanner is reused for object after object.
#[derive(Debug, Clone)]
pub(crate) struct ObjectScanner {
    state: ScanState,
    max_depth: u32,
    key: KeyPattern,
    /// Offsets (from the object start) of the key pattern's occurrences.
    key_at: Vec<usize>,
}

/// What carries from one block to the next: copied into locals for the
/// length of a scan, so it lives in registers rather than memory.
#[derive(Debug, Clone, Copy, Default)]
struct ScanState {
    escape_carry: u64,
    in_string_carry: u64,
    /// Bit d is 1 when the container at depth d is an object.
    kinds: u128,
    depth: u32,
    /// Offset (from the object start) of the next unscanned block.
    scanned: usize,
    /// The previous block's quote and anchor bits, for a key that straddles blocks.
    previous_quote: u64,
    previous_anchor: u64,
}

impl ObjectScanner {
    /// A scanner for objects nested at most `max_depth` deep, reporting `key`.
    pub(crate) fn new(max_depth: u32, key: KeyPattern) -> Self {
        ObjectScanner {
            state: ScanState::default(),
            max_depth: max_depth.clamp(1, 128),
            key,
            key_at: Vec::new(),
        }
    }

    /// Prepares for a new object whose opening byte is at offset 0.
    pub(crate) fn reset(&mut self) {
        self.state = ScanState::default();
        self.key_at.clear();
    }

    /// Where the key pattern starts in the object scanned so far (all of it
    /// once `scan` has returned `Complete`), in increasing order.
    pub(crate) fn key_at(&self) -> &[usize] {
        &self.key_at
    }

    /// Scans `object` (the bytes from the object's opening byte to the end of
    /// what is buffered) from where the previous call stopped, adding to
    /// `key_at` as blocks are scanned. `eof` means no more bytes will be shown:
    /// the last partial block is scanned too. After `eof`, `Complete` or an
    /// error, the scanner is only good for the next object, after `reset`.
    pub(crate) fn scan(&mut self, object: &[u8], eof: bool) -> Result<Progress, StructureError> {
        #[cfg(target_arch = "x86_64")]
        {
            let clmul = std::is_x86_feature_detected!("pclmulqdq");
            if clmul && std::is_x86_feature_detected!("avx512bw") {
                // SAFETY: the CPU has AVX-512 F and BW (BW implies F) and PCLMULQDQ.
                return unsafe { self.scan_avx512(object, eof) };
            }
            if clmul && std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 and PCLMULQDQ.
                return unsafe { self.scan_avx2(object, eof) };
            }
            self.scan_with::<Sse2>(object, eof)
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.scan_with::<Scalar>(object, eof)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,pclmulqdq")]
    unsafe fn scan_avx512(&mut self, object: &[u8], eof: bool) -> Result<Progress, StructureError> {
        self.scan_with::<Avx512>(object, eof)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,pclmulqdq")]
    unsafe fn scan_avx2(&mut self, object: &[u8], eof: bool) -> Result<Progress, StructureError> {
        self.scan_with::<Avx2>(object, eof)
    }

    #[inline(always)]
    fn scan_with<C: Classify>(
        &mut self,
        object: &[u8],
        eof: bool,
    ) -> Result<Progress, StructureError> {
        let mut state = self.state;
        let progress = state.scan::<C>(object, eof, self.max_depth, self.key, &mut self.key_at);
        self.state = state;
        progress
    }
}

impl ScanState {
    #[inline(always)]
    fn scan<C: Classify>(
        &mut self,
        object: &[u8],
        eof: bool,
        max_depth: u32,
        key: KeyPattern,
        key_at: &mut Vec<usize>,
    ) -> Result<Progress, StructureError> {
        let anchor = key.anchor_byte();
        let mut padded = [b' '; 64];
        loop {
            let start = self.scanned;
            let remaining = object.len().saturating_sub(start);
            let block: &[u8; 64] = if remaining >= 64 {
                object[start..start + 64].try_into().expect("64 bytes")
            } else if eof && remaining > 0 {
                padded[..remaining].copy_from_slice(&object[start..]);
                &padded
            } else {
                return Ok(Progress::NeedMore(start));
            };
            prefetch(object, start + PREFETCH_DISTANCE);
            let masks = C::classify(block, anchor);
            let candidates = self.key_candidates(&masks, key);
            if candidates != 0 {
                confirm_keys(key, candidates, object, start, key_at);
            }
            if let Some(end) = self.scan_block::<C>(masks, max_depth)? {
                let end = start + end;
                // Drop occurrences that run past the object's closing byte.
                let last = key.bytes.len() - 1;
                while key_at.last().is_some_and(|&at| at + last > end) {
                    key_at.pop();
                }
                return Ok(Progress::Complete(end));
            }
            self.scanned += 64;
        }
    }

    /// Bits of the block's bytes that may close an occurrence of the key: a
    /// quote, with the anchor and the opening quote at the key's offsets
    /// before it (possibly in the previous block).
    #[inline(always)]
    fn key_candidates(&mut self, masks: &Masks, key: KeyPattern) -> u64 {
        let last = (key.bytes.len() - 1) as u32;
        let anchor_shift = last - key.anchor as u32;
        let opening = masks.quote << last | self.previous_quote >> (64 - last);
        let anchored = masks.anchor << anchor_shift | self.previous_anchor >> (64 - anchor_shift);
        self.previous_quote = masks.quote;
        self.previous_anchor = masks.anchor;
        masks.quote & opening & anchored
    }

    #[inline(always)]
    fn scan_block<C: Classify>(
        &mut self,
        masks: Masks,
        max_depth: u32,
    ) -> Result<Option<usize>, StructureError> {
        // Most blocks hold no backslash at all.
        let escaped = if masks.backslash == 0 && self.escape_carry == 0 {
            0
        } else {
            escaped_chars(masks.backslash, &mut self.escape_carry)
        };
        let quotes = masks.quote & !escaped;
        let in_string = C::prefix_xor(quotes) ^ self.in_string_carry;
        self.in_string_carry = ((in_string as i64) >> 63) as u64;
        let mut structural = (masks.open | masks.close) & !in_string;
        while structural != 0 {
            let at = structural.trailing_zeros() as usize;
            structural &= structural - 1;
            let is_object = masks.curly >> at & 1 == 1;
            if masks.open >> at & 1 == 1 {
                if self.depth >= max_depth {
                    return Err(StructureError::TooDeep);
                }
                self.kinds =
                    (self.kinds & !(1u128 << self.depth)) | ((is_object as u128) << self.depth);
                self.depth += 1;
            } else {
                if self.depth == 0 {
                    return Err(StructureError::Mismatched);
                }
                self.depth -= 1;
                let opened_object = self.kinds >> self.depth & 1 == 1;
                if opened_object != is_object {
                    return Err(StructureError::Mismatched);
                }
                if self.depth == 0 {
                    return Ok(Some(at));
                }
            }
        }
        Ok(None)
    }
}

/// Asks for the cache line holding `object[at]` ahead of its use.
#[inline(always)]
fn prefetch(object: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(byte) = object.get(at) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch reads
        // nothing; the address is inside `object` anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((byte as *const u8).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (object, at);
}

/// Records the candidates (closing-quote bits of the block at `start`)
/// whose bytes are the key.
#[inline(never)]
fn confirm_keys(
    key: KeyPattern,
    mut candidates: u64,
    object: &[u8],
    start: usize,
    key_at: &mut Vec<usize>,
) {
    let last = key.bytes.len() - 1;
    while candidates != 0 {
        let close = start + candidates.trailing_zeros() as usize;
        candidates &= candidates - 1;
        // In the first block, the opening quote's bit cannot come from the
        // (zeroed) previous block, so `close >= last`; checked all the same.
        let Some(open) = close.checked_sub(last) else {
            continue;
        };
        if object.get(open..=close) == Some(key.bytes) {
            key_at.push(open);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Byte-at-a-time reference: the end offset of the object starting at 0.
    fn reference_end(bytes: &[u8]) -> Option<usize> {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        for (i, &b) in bytes.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    const EVENT_NAME: KeyPattern = KeyPattern::new(b"\"eventName\"");

    /// Scans `bytes` made visible `chunk` bytes at a time: the object's end
    /// and where `key` occurs in it.
    fn scan_keys(
        bytes: &[u8],
        chunk: usize,
        key: KeyPattern,
    ) -> Result<(Option<usize>, Vec<usize>), StructureError> {
        let mut scanner = ObjectScanner::new(128, key);
        // A reused scanner must not remember the previous object.
        scanner.scan(b"{\"eventName\":[[[\"", true)?;
        scanner.reset();
        let mut available = chunk.min(bytes.len());
        loop {
            let eof = available == bytes.len();
            match scanner.scan(&bytes[..available], eof)? {
                Progress::Complete(end) => return Ok((Some(end), scanner.key_at().to_vec())),
                Progress::NeedMore(_) if eof => return Ok((None, scanner.key_at().to_vec())),
                Progress::NeedMore(_) => available = (available + chunk).min(bytes.len()),
            }
        }
    }

    fn scan_all(bytes: &[u8], chunk: usize) -> Result<Option<usize>, StructureError> {
        scan_keys(bytes, chunk, EVENT_NAME).map(|(end, _)| end)
    }

    /// A reused scanner forgets the previous object, including a key cut
    /// off at its last block.
    #[test]
    fn reset_forgets_a_straddling_key() {
        let mut scanner = ObjectScanner::new(128, EVENT_NAME);
        let mut stale = vec![b'{'];
        stale.extend(b"\"".repeat(40));
        stale.resize(64 - 8, b'x');
        stale.extend(b"\"eventNa");
        assert_eq!(stale.len(), 64);
        assert_eq!(scanner.scan(&stale, false), Ok(Progress::NeedMore(64)));
        scanner.reset();
        // Without the reset, the quote at 2 would be a candidate reaching
        // back into the old block.
        let fresh = br#"{ "":1,"eventName":2}"#;
        assert_eq!(
            scanner.scan(fresh, true),
            Ok(Progress::Complete(fresh.len() - 1))
        );
        assert_eq!(scanner.key_at(), &[7]);
    }

    #[test]
    fn keys_of_any_length_at_every_alignment() {
        const LONGEST: &[u8; 64] =
            b"\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\"";
        for key in [&b"\"k\""[..], b"\"ab\"", b"\"eventName\"", LONGEST] {
            let pattern = KeyPattern::new(key);
            let text = std::str::from_utf8(key).unwrap();
            for pad in 0..130 {
                let json = format!(r#"{{"p":"{}",{text}:1,"q":[{text}]}}"#, "y".repeat(pad));
                let bytes = json.as_bytes();
                let want = occurrences(bytes, key);
                assert_eq!(want.len(), 2);
                for chunk in [1, 7, 64, 1000] {
                    assert_eq!(
                        scan_keys(bytes, chunk, pattern),
                        Ok((Some(bytes.len() - 1), want.clone())),
                        "key {text}, pad {pad}, chunk {chunk}"
                    );
                }
            }
        }
    }

    /// Every start of `key` in `bytes`, overlapping ones included.
    fn occurrences(bytes: &[u8], key: &[u8]) -> Vec<usize> {
        (0..bytes.len())
            .filter(|&i| bytes[i..].starts_with(key))
            .collect()
    }

    /// Every classifier this CPU can run agrees with the scalar one.
    fn check_classifiers(block: &[u8; 64], anchor: u8) {
        let want = Scalar::classify(block, anchor);
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(Sse2::classify(block, anchor), want);
            if std::is_x86_feature_detected!("avx2") {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2(block: &[u8; 64], anchor: u8) -> Masks {
                    Avx2::classify(block, anchor)
                }
                // SAFETY: detected above.
                assert_eq!(unsafe { avx2(block, anchor) }, want);
            }
            if std::is_x86_feature_detected!("avx512bw") {
                #[target_feature(enable = "avx512f,avx512bw")]
                unsafe fn avx512(block: &[u8; 64], anchor: u8) -> Masks {
                    Avx512::classify(block, anchor)
                }
                // SAFETY: detected above.
                assert_eq!(unsafe { avx512(block, anchor) }, want);
            }
        }
    }

    #[test]
    fn carry_less_prefix_xor_agrees() {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("pclmulqdq") {
            for bits in [
                0u64,
                1,
                0x8000_0000_0000_0001,
                0xdead_beef_0123_4567,
                u64::MAX,
            ] {
                // SAFETY: detected above.
                assert_eq!(unsafe { prefix_xor_clmul(bits) }, prefix_xor(bits));
            }
        }
    }

    #[test]
    fn classifiers_agree() {
        let mut block = [0u8; 64];
        for (i, b) in block.iter_mut().enumerate() {
            *b = b"{}[]\"\\ax:,"[i % 10];
        }
        check_classifiers(&block, b'N');
        // Every byte value, including the ones that fold onto brackets.
        for start in (0..256).step_by(64) {
            let block: [u8; 64] = std::array::from_fn(|i| (start + i) as u8);
            for anchor in [b'N', b'"', 0, 0xff, start as u8] {
                check_classifiers(&block, anchor);
            }
        }
    }

    #[test]
    fn key_pattern_anchors_on_a_rare_byte() {
        assert_eq!(EVENT_NAME.anchor_byte(), b'N');
        assert_eq!(KeyPattern::new(b"\"k\"").anchor_byte(), b'k');
        assert_eq!(KeyPattern::new(b"\"abcd\"").anchor_byte(), b'c');
    }

    #[test]
    fn finds_the_key_at_every_block_offset() {
        for pad in 0..140 {
            let json = format!(
                r#"{{"p":"{}","eventName":"A","x":{{"eventName":1}},"s":"\"eventName\"","eventNam":2}}"#,
                "y".repeat(pad)
            );
            let bytes = json.as_bytes();
            let want = occurrences(bytes, b"\"eventName\"");
            assert_eq!(want.len(), 2);
            for chunk in [1, 63, 64, 65, 4096] {
                assert_eq!(
                    scan_keys(bytes, chunk, EVENT_NAME),
                    Ok((Some(bytes.len() - 1), want.clone())),
                    "pad {pad}, chunk {chunk}"
                );
            }
        }
    }

    #[test]
    fn keys_past_the_object_are_not_reported() {
        let json = br#"{"a":1}"eventName","eventName":2}"#;
        assert_eq!(scan_keys(json, 64, EVENT_NAME), Ok((Some(6), vec![])));
        // The same in a full block, with more input to come.
        for pad in 0..70 {
            let json = format!(
                r#"{{"a":"{}"}}"eventName":{}"#,
                "y".repeat(pad),
                " ".repeat(80)
            );
            let mut scanner = ObjectScanner::new(128, EVENT_NAME);
            let end = pad + 7;
            assert_eq!(
                scanner.scan(json.as_bytes(), false),
                Ok(Progress::Complete(end))
            );
            assert_eq!(scanner.key_at(), &[] as &[usize], "pad {pad}");
        }
        // Overlapping occurrences (impossible in valid JSON) are all reported.
        let odd = br#"{"a":"eventName"eventName"}"#;
        assert_eq!(
            scan_keys(odd, 64, EVENT_NAME).map(|(_, keys)| keys),
            Ok(occurrences(odd, b"\"eventName\""))
        );
    }

    #[test]
    fn escaped_quotes_and_backslash_runs_across_blocks() {
        // A string holding `\\\"}` straddling the first block boundary.
        let mut json = String::from("{\"a\":\"");
        json.push_str(&"x".repeat(55));
        json.push_str("\\\\\\\"}\",\"b\":{}}");
        assert_eq!(scan_all(json.as_bytes(), 64), Ok(Some(json.len() - 1)));
        assert_eq!(reference_end(json.as_bytes()), Some(json.len() - 1));
    }

    #[test]
    fn mismatched_and_too_deep() {
        assert_eq!(scan_all(b"{\"a\":[1}}", 8), Err(StructureError::Mismatched));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(scan_all(deep.as_bytes(), 64), Err(StructureError::TooDeep));
    }

    fn json_text() -> impl Strategy<Value = String> {
        // Strings dense in the characters that matter: quotes, backslashes, braces.
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<i64>().prop_map(serde_json::Value::from),
            "[{}\\[\\]\"\\\\a-z :,\\n]{0,40}".prop_map(serde_json::Value::from),
        ];
        let value = leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-z{}\"\\\\]{0,8}", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        prop::collection::btree_map("[a-z\"\\\\{]{0,6}", value, 0..6)
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()).to_string())
    }

    proptest! {
        #[test]
        fn classifiers_agree_on_any_block(bytes in prop::collection::vec(any::<u8>(), 64), anchor: u8) {
            check_classifiers(&bytes.try_into().unwrap(), anchor);
        }

        #[test]
        fn agrees_with_reference(json in json_text(), chunk in 1usize..300, trailer in "[ ,\\]}{]{0,20}") {
            let text = format!("{json}{trailer}");
            let expected = reference_end(text.as_bytes());
            prop_assert_eq!(expected, Some(json.len() - 1));
            prop_assert_eq!(scan_all(text.as_bytes(), chunk), Ok(expected));
            let key = KeyPattern::new(b"\"a\"");
            let (_, keys) = scan_keys(text.as_bytes(), chunk, key).unwrap();
            prop_assert_eq!(keys, occurrences(&text.as_bytes()[..json.len()], b"\"a\""));
        }

        #[test]
        fn escape_carry_matches_bytewise(bits in any::<[u64; 4]>()) {
            // Backslash runs of any length crossing block boundaries.
            let mut carry = 0;
            let mut expected_escaped = false;
            for word in bits {
                let got = escaped_chars(word, &mut carry);
                for i in 0..64 {
                    let is_escaped = expected_escaped;
                    let is_backslash = word >> i & 1 == 1;
                    // Only non-backslash characters matter: those are the quotes.
                    if !is_backslash {
                        prop_assert_eq!(got >> i & 1 == 1, is_escaped, "bit {}", i);
                    }
                    expected_escaped = is_backslash && !is_escaped;
                }
            }
        }
    }
}
