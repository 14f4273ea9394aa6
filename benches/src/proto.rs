//! A measurement prototype, not product code: the core's record splitter
//! (`trailwatch-core/src/structure.rs`, private) replicated here so that a
//! faster variant can be measured against it on the same data.
//!
//! - [`Variant::CoreLike`]: the core's algorithm: 64-byte blocks, quote and
//!   escape masks, then every structural `{ } [ ]` outside strings walked one
//!   by one, with a bit stack of container kinds (mismatch and depth checks).
//! - [`Variant::PopcountFastPath`]: the same masks, but a block whose closing
//!   brackets are fewer than the current depth cannot end the record, so its
//!   depth is updated with two popcounts and no per-character walk. Nesting
//!   kinds are not tracked; a record is rejected when its `{`/`}` counts
//!   differ (full validation is left to the typed parse of candidates).
//! - [`Variant::Branchless`]: the core's semantics (kind stack, mismatch and
//!   depth checks) with the per-character walk made branch-free: open or
//!   close is arithmetic, errors are OR-ed into a flag checked once per
//!   block, and the only branch is the (rarely taken) end of the record.

// The AVX-512 intrinsics are stable since Rust 1.89 (this package's MSRV).
#![allow(clippy::incompatible_msrv)]

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    CoreLike,
    PopcountFastPath,
    Branchless,
    /// `CoreLike` with the character classes computed by AVX-512BW (one
    /// 64-byte load, compares straight into mask registers) instead of
    /// four SSE2 lanes; falls back to `CoreLike` without AVX-512BW.
    CoreLikeAvx512,
}

#[derive(Default, Clone, Copy)]
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
    curly: u64,
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is baseline on x86_64; loads stay inside the 64-byte block.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let case_bit = _mm_set1_epi8(0x20);
        let open = _mm_set1_epi8(b'{' as i8);
        let close = _mm_set1_epi8(b'}' as i8);
        let mut m = Masks::default();
        for lane in 0..4 {
            let bytes = _mm_loadu_si128(block.as_ptr().add(lane * 16) as *const __m128i);
            let folded = _mm_or_si128(bytes, case_bit);
            let shift = lane * 16;
            let bits = |v| (_mm_movemask_epi8(v) as u32 as u64) << shift;
            m.quote |= bits(_mm_cmpeq_epi8(bytes, quote));
            m.backslash |= bits(_mm_cmpeq_epi8(bytes, backslash));
            m.open |= bits(_mm_cmpeq_epi8(folded, open));
            m.close |= bits(_mm_cmpeq_epi8(folded, close));
            m.curly |= bits(_mm_or_si128(
                _mm_cmpeq_epi8(bytes, open),
                _mm_cmpeq_epi8(bytes, close),
            ));
        }
        m
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn classify(block: &[u8; 64]) -> Masks {
    let mut m = Masks::default();
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            b'{' => {
                m.open |= bit;
                m.curly |= bit
            }
            b'[' => m.open |= bit,
            b'}' => {
                m.close |= bit;
                m.curly |= bit
            }
            b']' => m.close |= bit,
            _ => {}
        }
    }
    m
}

const EVEN_BITS: u64 = 0x5555_5555_5555_5555;
const ODD_BITS: u64 = !EVEN_BITS;

#[inline(always)]
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

#[inline(always)]
fn prefix_xor(mut bits: u64) -> u64 {
    bits ^= bits << 1;
    bits ^= bits << 2;
    bits ^= bits << 4;
    bits ^= bits << 8;
    bits ^= bits << 16;
    bits ^= bits << 32;
    bits
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw,avx512f")]
fn classify_avx512(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::*;
    // SAFETY: one unaligned 64-byte load of exactly the block.
    let v = unsafe { _mm512_loadu_si512(block.as_ptr() as *const _) };
    let folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
    let open_curly = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'{' as i8));
    let close_curly = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'}' as i8));
    Masks {
        quote: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'"' as i8)),
        backslash: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\\' as i8)),
        open: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'{' as i8)),
        close: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'}' as i8)),
        curly: open_curly | close_curly,
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw,avx512f")]
fn object_end_avx512(obj: &[u8], max_depth: u32) -> Option<usize> {
    object_end_impl(obj, Variant::CoreLike, max_depth, |b| classify_avx512(b))
}

/// The offset of the `}` closing the object that starts at `obj[0]`.
fn object_end(obj: &[u8], variant: Variant, max_depth: u32) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if variant == Variant::CoreLikeAvx512 && std::arch::is_x86_feature_detected!("avx512bw") {
        // SAFETY: the CPU has AVX-512BW (checked just above).
        return unsafe { object_end_avx512(obj, max_depth) };
    }
    let variant = if variant == Variant::CoreLikeAvx512 {
        Variant::CoreLike
    } else {
        variant
    };
    object_end_impl(obj, variant, max_depth, classify)
}

#[inline(always)]
fn object_end_impl(
    obj: &[u8],
    variant: Variant,
    max_depth: u32,
    classify: impl Fn(&[u8; 64]) -> Masks,
) -> Option<usize> {
    let (mut esc_carry, mut str_carry) = (0u64, 0u64);
    let mut kinds: u128 = 0;
    let mut depth: u32 = 0;
    let mut curly_balance: i64 = 0;
    let mut start = 0;
    loop {
        let remaining = obj.len().checked_sub(start)?;
        let block: [u8; 64] = if remaining >= 64 {
            obj[start..start + 64].try_into().unwrap()
        } else if remaining > 0 {
            let mut padded = [b' '; 64];
            padded[..remaining].copy_from_slice(&obj[start..]);
            padded
        } else {
            return None;
        };
        let m = classify(&block);
        let escaped = escaped_chars(m.backslash, &mut esc_carry);
        let quotes = m.quote & !escaped;
        let in_string = prefix_xor(quotes) ^ str_carry;
        str_carry = ((in_string as i64) >> 63) as u64;
        let opens = m.open & !in_string;
        let closes = m.close & !in_string;
        if variant == Variant::Branchless {
            let mut structural = opens | closes;
            let mut bad = 0u64;
            while structural != 0 {
                let at = structural.trailing_zeros() as u64;
                structural &= structural - 1;
                let is_open = (opens >> at) & 1;
                let is_object = (m.curly >> at) & 1;
                // open: slot = depth, then depth + 1; close: slot = depth - 1, then depth - 1.
                let slot = (depth as u64).wrapping_sub(1 - is_open);
                bad |= (slot >> 6) | ((slot + 1) > max_depth as u64) as u64; // underflow or too deep
                let bit = 1u128 << (slot & 127);
                let stored = ((kinds & bit) != 0) as u64;
                bad |= (1 - is_open) & (stored ^ is_object);
                let keep = !(bit & (0u128.wrapping_sub(is_open as u128)));
                kinds =
                    (kinds & keep) | (bit & (0u128.wrapping_sub((is_open & is_object) as u128)));
                depth = (slot + is_open) as u32;
                if depth == 0 && is_open == 0 {
                    return (bad == 0).then_some(start + at as usize);
                }
            }
            if bad != 0 {
                return None;
            }
            start += 64;
            continue;
        }
        if variant == Variant::PopcountFastPath {
            let (no, nc) = (opens.count_ones(), closes.count_ones());
            if nc < depth && depth + no <= max_depth {
                depth = depth + no - nc;
                curly_balance +=
                    (opens & m.curly).count_ones() as i64 - (closes & m.curly).count_ones() as i64;
                start += 64;
                continue;
            }
            let mut structural = opens | closes;
            while structural != 0 {
                let at = structural.trailing_zeros() as usize;
                structural &= structural - 1;
                let curly = (m.curly >> at & 1) as i64;
                if opens >> at & 1 == 1 {
                    depth += 1;
                    curly_balance += curly;
                    if depth > max_depth {
                        return None;
                    }
                } else {
                    depth = depth.checked_sub(1)?;
                    curly_balance -= curly;
                    if depth == 0 {
                        return (curly_balance == 0 && block[at] == b'}').then_some(start + at);
                    }
                }
            }
            start += 64;
            continue;
        }
        let mut structural = opens | closes;
        while structural != 0 {
            let at = structural.trailing_zeros() as usize;
            structural &= structural - 1;
            let byte = block[at];
            let is_object = byte == b'{' || byte == b'}';
            if m.open >> at & 1 == 1 {
                if depth >= max_depth {
                    return None;
                }
                kinds = (kinds & !(1u128 << depth)) | ((is_object as u128) << depth);
                depth += 1;
            } else {
                if depth == 0 {
                    return None;
                }
                depth -= 1;
                if (kinds >> depth & 1 == 1) != is_object {
                    return None;
                }
                if depth == 0 {
                    return Some(start + at);
                }
            }
        }
        start += 64;
    }
}

/// Splits a whole `{"Records":[...]}` document held in memory and returns
/// each record's (start, end) offsets; `None` when it is malformed.
pub fn split(doc: &[u8], variant: Variant) -> Option<Vec<(usize, usize)>> {
    let mut pos = doc.iter().position(|&b| b == b'[')? + 1;
    let mut out = Vec::new();
    loop {
        while pos < doc.len() && matches!(doc[pos], b' ' | b'\n' | b'\r' | b'\t' | b',') {
            pos += 1;
        }
        if pos >= doc.len() {
            return None;
        }
        if doc[pos] == b']' {
            return Some(out);
        }
        let end = object_end(&doc[pos..], variant, 64)?;
        out.push((pos, pos + end + 1));
        pos += end + 1;
    }
}

/// Counts records without keeping their offsets (what the benches time).
pub fn count(doc: &[u8], variant: Variant) -> usize {
    let mut pos = doc
        .iter()
        .position(|&b| b == b'[')
        .expect("a Records document")
        + 1;
    let mut n = 0;
    loop {
        while pos < doc.len() && matches!(doc[pos], b' ' | b'\n' | b'\r' | b'\t' | b',') {
            pos += 1;
        }
        if pos >= doc.len() || doc[pos] == b']' {
            return n;
        }
        let end = object_end(&doc[pos..], variant, 64).expect("well-formed");
        n += 1;
        pos += end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_agree_on_generated_files() {
        for index in 0..6 {
            let f = trailwatch_gen::log_file(3, index);
            let a = split(&f.json, Variant::CoreLike).unwrap();
            let b = split(&f.json, Variant::PopcountFastPath).unwrap();
            assert_eq!(a, b);
            assert_eq!(a, split(&f.json, Variant::Branchless).unwrap());
            assert_eq!(a, split(&f.json, Variant::CoreLikeAvx512).unwrap());
            assert_eq!(a.len(), f.records.len());
            let sizes: Vec<u32> = a.iter().map(|(s, e)| (e - s) as u32).collect();
            assert_eq!(sizes, f.record_sizes);
        }
    }

    #[test]
    fn strings_escapes_and_mismatches() {
        let doc = br#"{"Records":[{"a":"}{\"\\","b":[{"c":"]"}]},{"d":1}]}"#;
        for v in [
            Variant::CoreLike,
            Variant::PopcountFastPath,
            Variant::Branchless,
            Variant::CoreLikeAvx512,
        ] {
            assert_eq!(split(doc, v).unwrap().len(), 2);
            assert!(split(br#"{"Records":[{"a":[1}]}]}"#, v).is_none());
            assert!(split(br#"{"Records":[{"a":[1]]}]}"#, v).is_none());
            let deep = format!(
                r#"{{"Records":[{{"a":{}1{}}}]}}"#,
                "[".repeat(70),
                "]".repeat(70)
            );
            assert!(split(deep.as_bytes(), v).is_none(), "{v:?}");
            let ok = format!(
                r#"{{"Records":[{{"a":{}1{}}}]}}"#,
                "[".repeat(63),
                "]".repeat(63)
            );
            assert!(split(ok.as_bytes(), v).is_some(), "{v:?}");
        }
    }
}
