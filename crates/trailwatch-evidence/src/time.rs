//! UTC times as CloudTrail writes them (`2015-08-17T14:01:31Z`), as the AWS
//! CLI prints key validity (v1: epoch seconds, v2: ISO 8601 with an offset),
//! and as log and digest file names carry them.

/// Day count since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `2015-08-17T14:01:31Z` for Unix seconds.
pub fn iso(t: i64) -> String {
    let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

fn digits(s: &str, at: usize, n: usize) -> Option<i64> {
    let part = s.get(at..at + n)?;
    part.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| part.parse().ok())?
}

fn civil(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let valid = (1..=12).contains(&mo)
        && (1..=31).contains(&d)
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..=60).contains(&s);
    valid.then(|| days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Parses ISO 8601 UTC times: `2015-08-17T14:01:31Z`, with optional
/// fractional seconds (dropped), and `Z`, `+00:00` or any `±HH:MM` offset.
pub fn parse_iso(text: &str) -> Option<i64> {
    let s = text.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let t = civil(
        digits(s, 0, 4)?,
        digits(s, 5, 2)?,
        digits(s, 8, 2)?,
        digits(s, 11, 2)?,
        digits(s, 14, 2)?,
        digits(s, 17, 2)?,
    )?;
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" | "" | "+00:00" | "-00:00" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hm = rest[1..].replace(':', "");
            if hm.len() != 4 {
                return None;
            }
            sign * (digits(&hm, 0, 2)? * 3600 + digits(&hm, 2, 2)? * 60)
        }
    };
    Some(t - offset)
}

/// Parses the compact stamps of file names: `20150817T1445Z` (log files,
/// minute resolution) and `20150817T150131Z` (digest files).
pub fn parse_stamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.get(8) != Some(&b'T') || b.last() != Some(&b'Z') {
        return None;
    }
    let (y, mo, d, h, mi) = (
        digits(s, 0, 4)?,
        digits(s, 4, 2)?,
        digits(s, 6, 2)?,
        digits(s, 9, 2)?,
        digits(s, 11, 2)?,
    );
    let sec = match b.len() {
        14 => 0,
        16 => digits(s, 13, 2)?,
        _ => return None,
    };
    civil(y, mo, d, h, mi, sec)
}

/// Epoch seconds as the AWS CLI v1 prints them (`1436317441.0`), whole
/// seconds kept.
pub fn parse_epoch(s: &str) -> Option<i64> {
    let v: f64 = s.trim().parse().ok()?;
    (v.is_finite() && v.abs() < 1e12).then_some(v.floor() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_forms() {
        let t = parse_iso("2024-02-29T23:59:58Z").unwrap();
        assert_eq!(iso(t), "2024-02-29T23:59:58Z");
        assert_eq!(
            parse_iso("2015-07-08T01:04:01+00:00"),
            parse_epoch("1436317441.0")
        );
        assert_eq!(
            parse_iso("2015-07-08T03:04:01.123+02:00"),
            parse_epoch("1436317441")
        );
        assert_eq!(
            parse_stamp("20150817T1445Z"),
            parse_iso("2015-08-17T14:45:00Z")
        );
        assert_eq!(
            parse_stamp("20150817T150131Z"),
            parse_iso("2015-08-17T15:01:31Z")
        );
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        for bad in [
            "2015-13-01T00:00:00Z",
            "2015-08-17",
            "2015-08-17T14:01:31Q",
            "x",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
        assert_eq!(parse_stamp("20150817T14Z"), None);
        assert_eq!(parse_epoch("soon"), None);
    }
}
