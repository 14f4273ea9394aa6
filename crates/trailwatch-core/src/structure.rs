//! Finding the end of a JSON object without parsing it.
//!
//! A CloudTrail record is located by brace depth, which only counts outside
//! strings, which in turn depends on escapes. This module computes, 64 bytes
//! at a time, which braces and brackets are structural (the technique of
//! simdjson's stage 1: bit masks, odd backslash runs, prefix XOR), so that
//! cutting a log file into records costs a small fraction of decompressing it.

/// One 64-byte block's character classes, one bit per byte.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{` or `[`.
    open: u64,
    /// `}` or `]`.
    close: u64,
}

/// Computes a block's character classes. One implementation per instruction
/// set; the scan loop is compiled once for each, so the classifier inlines.
trait Classify {
    fn classify(block: &[u8; 64]) -> Masks;

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
    fn classify(block: &[u8; 64]) -> Masks {
        let mut masks = Masks::default();
        for (i, &byte) in block.iter().enumerate() {
            let bit = 1u64 << i;
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
    fn classify(block: &[u8; 64]) -> Masks {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
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
    fn classify(block: &[u8; 64]) -> Masks {
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
    fn classify(block: &[u8; 64]) -> Masks {
        use std::arch::x86_64::{
            _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_or_si512, _mm512_set1_epi8,
        };
        // SAFETY: reached only through `scan_avx512`, which requires AVX-512
        // F and BW and is called only when the CPU has them.
        unsafe {
            let bytes = _mm512_loadu_si512(block.as_ptr().cast());
            let folded = _mm512_or_si512(bytes, _mm512_set1_epi8(0x20));
            Masks {
                quote: _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(b'"' as i8)),
                backslash: _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(b'\\' as i8)),
                open: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'{' as i8)),
                close: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'}' as i8)),
            }
        }
    }
}

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
/// resumable across buffer refills. Nesting is kept on a bit stack, so the
/// depth limit is at most 128 and no recursion is involved.
#[derive(Debug, Clone)]
pub(crate) struct ObjectScanner {
    escape_carry: u64,
    in_string_carry: u64,
    /// Bit d is 1 when the container at depth d is an object.
    kinds: u128,
    depth: u32,
    max_depth: u32,
    /// Offset (from the object start) of the next unscanned block.
    scanned: usize,
}

impl ObjectScanner {
    /// Starts a scanner for an object whose opening byte is at offset 0.
    pub(crate) fn new(max_depth: u32) -> Self {
        ObjectScanner {
            escape_carry: 0,
            in_string_carry: 0,
            kinds: 0,
            depth: 0,
            max_depth: max_depth.clamp(1, 128),
            scanned: 0,
        }
    }

    /// Scans `object` (the bytes from the object's opening byte to the end of
    /// what is buffered) from where the previous call stopped. With `eof`, the
    /// last partial block is scanned too.
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
        loop {
            let start = self.scanned;
            let remaining = object.len().saturating_sub(start);
            let block: [u8; 64] = if remaining >= 64 {
                object[start..start + 64].try_into().expect("64 bytes")
            } else if eof && remaining > 0 {
                let mut padded = [b' '; 64];
                padded[..remaining].copy_from_slice(&object[start..]);
                padded
            } else {
                return Ok(Progress::NeedMore(start));
            };
            if let Some(end) = self.scan_block::<C>(C::classify(&block), &block)? {
                return Ok(Progress::Complete(start + end));
            }
            self.scanned += 64;
        }
    }

    #[inline(always)]
    fn scan_block<C: Classify>(
        &mut self,
        masks: Masks,
        block: &[u8; 64],
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
            let byte = block[at];
            let is_object = byte == b'{' || byte == b'}';
            if masks.open >> at & 1 == 1 {
                if self.depth >= self.max_depth {
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

    fn scan_all(bytes: &[u8], chunk: usize) -> Result<Option<usize>, StructureError> {
        let mut scanner = ObjectScanner::new(128);
        let mut available = chunk.min(bytes.len());
        loop {
            let eof = available == bytes.len();
            match scanner.scan(&bytes[..available], eof)? {
                Progress::Complete(end) => return Ok(Some(end)),
                Progress::NeedMore(_) if eof => return Ok(None),
                Progress::NeedMore(_) => available = (available + chunk).min(bytes.len()),
            }
        }
    }

    /// Every classifier this CPU can run agrees with the scalar one.
    fn check_classifiers(block: &[u8; 64]) {
        let want = Scalar::classify(block);
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(Sse2::classify(block), want);
            if std::is_x86_feature_detected!("avx2") {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2(block: &[u8; 64]) -> Masks {
                    Avx2::classify(block)
                }
                // SAFETY: detected above.
                assert_eq!(unsafe { avx2(block) }, want);
            }
            if std::is_x86_feature_detected!("avx512bw") {
                #[target_feature(enable = "avx512f,avx512bw")]
                unsafe fn avx512(block: &[u8; 64]) -> Masks {
                    Avx512::classify(block)
                }
                // SAFETY: detected above.
                assert_eq!(unsafe { avx512(block) }, want);
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
        check_classifiers(&block);
        // Every byte value, including the ones that fold onto brackets.
        for start in (0..256).step_by(64) {
            let block: [u8; 64] = std::array::from_fn(|i| (start + i) as u8);
            check_classifiers(&block);
        }
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
        fn classifiers_agree_on_any_block(bytes in prop::collection::vec(any::<u8>(), 64)) {
            check_classifiers(&bytes.try_into().unwrap());
        }

        #[test]
        fn agrees_with_reference(json in json_text(), chunk in 1usize..300, trailer in "[ ,\\]}{]{0,20}") {
            let text = format!("{json}{trailer}");
            let expected = reference_end(text.as_bytes());
            prop_assert_eq!(expected, Some(json.len() - 1));
            prop_assert_eq!(scan_all(text.as_bytes(), chunk), Ok(expected));
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
