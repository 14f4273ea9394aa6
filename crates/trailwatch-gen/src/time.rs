//! Civil dates from Unix seconds, without a date library.

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day count since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds of a UTC date and time.
pub fn ts(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
    days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60
}

/// Broken-down UTC time: (y, mo, d, h, mi, s).
pub fn parts(t: i64) -> (i64, u32, u32, i64, i64, i64) {
    let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
    let sod = t.rem_euclid(86_400);
    (y, mo, d, sod / 3600, sod % 3600 / 60, sod % 60)
}

/// `2024-02-08T11:59:35Z`.
pub fn iso(t: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20240208T1155Z`, as in log file names.
pub fn stamp(t: i64) -> String {
    let (y, mo, d, h, mi, _) = parts(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}Z")
}

/// `Mar 9, 2020, 2:03:11 PM`, as IAM and STS print dates.
pub fn java_date(t: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s) = parts(t);
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    let ampm = if h < 12 { "AM" } else { "PM" };
    format!(
        "{} {d}, {y}, {h12}:{mi:02}:{s:02} {ampm}",
        MONTHS[mo as usize - 1]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = ts(2024, 2, 29, 13, 5) + 7;
        assert_eq!(iso(t), "2024-02-29T13:05:07Z");
        assert_eq!(stamp(t), "20240229T1305Z");
        assert_eq!(java_date(t), "Feb 29, 2024, 1:05:07 PM");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
