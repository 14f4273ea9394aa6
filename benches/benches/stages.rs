//! Each stage of reading a log file, and the whole of it, on generated
//! CloudTrail data (trailwatch-gen), with throughput in bytes of JSON.
//!
//! The core's stages are private; they are measured through what is public:
//! `Scanner::scan_bytes` on gzip (libdeflate whole-buffer path), with
//! `whole_file_bytes: 0` (flate2 streaming path) and on plain JSON (split +
//! prefilter with no decompression), and `detect_record` (parse + rules) on
//! single records. Decompress-only and the bytewise-split, one-pass memmem
//! and parse-everything baselines call flate2, libdeflate, memchr and
//! serde_json directly.

use std::hint::black_box;
use std::io::Read;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use trailwatch_core::{detect_record, Limits, Scanner};
use trailwatch_gen::{log_file, log_file_with, sample_records, Class};

/// A typical log file: 2,000 records, about 3.5 MB of JSON.
const TYPICAL_RECORDS: usize = 2_000;
/// JSON bytes of the corpus sample (files 0.. of seed 1 until this).
const SAMPLE_BYTES: usize = 48 << 20;

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    bytes: usize,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(800))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(bytes as u64));
    g
}

struct Data {
    json: Vec<u8>,
    gz: Vec<u8>,
}

fn typical() -> Data {
    let f = log_file_with(7, TYPICAL_RECORDS);
    let gz = f.gzip();
    Data { json: f.json, gz }
}

fn gunzip_libdeflate(d: &mut libdeflater::Decompressor, gz: &[u8], out: &mut Vec<u8>) -> usize {
    let isize = u32::from_le_bytes(gz[gz.len() - 4..].try_into().unwrap()) as usize;
    if out.len() < isize {
        out.resize(isize, 0);
    }
    d.gzip_decompress(gz, &mut out[..isize])
        .expect("valid gzip")
}

fn gunzip_flate2(gz: &[u8], buf: &mut [u8]) -> usize {
    let mut dec = flate2::read::GzDecoder::new(gz);
    let mut total = 0;
    loop {
        let n = dec.read(buf).expect("valid gzip");
        if n == 0 {
            return total;
        }
        total += n;
    }
}

/// A bytewise record splitter (string, escape and depth state): what a
/// straightforward implementation costs, for comparison with the core's
/// 64-byte-block splitter.
fn split_bytewise(doc: &[u8]) -> usize {
    let (mut depth, mut in_str, mut esc, mut records) = (0u32, false, false, 0usize);
    for &b in doc {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 2 && b == b'}' {
                    records += 1;
                }
            }
            _ => {}
        }
    }
    records
}

fn decompress(c: &mut Criterion) {
    let data = typical();
    let mut g = group(c, "decompress", data.json.len());
    let mut d = libdeflater::Decompressor::new();
    let mut out = Vec::new();
    g.bench_function("libdeflate_whole_buffer", |b| {
        b.iter(|| gunzip_libdeflate(&mut d, black_box(&data.gz), &mut out))
    });
    let mut buf = vec![0u8; 256 << 10];
    g.bench_function("flate2_zlib_rs_stream_256k", |b| {
        b.iter(|| gunzip_flate2(black_box(&data.gz), &mut buf))
    });
    g.finish();
}

fn split_and_prefilter(c: &mut Criterion) {
    let data = typical();
    let mut g = group(c, "split_prefilter", data.json.len());
    g.bench_function("baseline_split_bytewise", |b| {
        b.iter(|| split_bytewise(black_box(&data.json)))
    });
    let finder = memchr::memmem::Finder::new(b"\"eventName\":\"");
    g.bench_function("baseline_memmem_eventname_one_pass", |b| {
        b.iter(|| finder.find_iter(black_box(&data.json)).count())
    });
    let mut scanner = Scanner::new(Limits::default());
    g.bench_function("core_scan_plain_json", |b| {
        b.iter(|| {
            let scan = scanner.scan_bytes("typical.json", black_box(&data.json));
            assert!(scan.error.is_none());
            scan.stats.records
        })
    });
    g.bench_function("core_split_only", |b| {
        b.iter(|| trailwatch_core::bench::split(black_box(&data.json)))
    });
    g.bench_function("core_split_and_prefilter", |b| {
        b.iter(|| trailwatch_core::bench::split_and_prefilter(black_box(&data.json)))
    });
    g.bench_function("baseline_serde_value_every_record", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&data.json)).unwrap())
    });
    g.finish();
}

fn parse_and_rules(c: &mut Criterion) {
    let limits = Limits::default();
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for class in [Class::Harmless, Class::Failed, Class::Exposing] {
        candidates.extend(sample_records(11, 200, class).into_iter().map(|(_, r)| r));
    }
    let exposing: Vec<Vec<u8>> = sample_records(12, 170, Class::Exposing)
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    let bytes = |v: &[Vec<u8>]| v.iter().map(Vec::len).sum::<usize>();

    let mut g = group(c, "parse_candidates", bytes(&candidates));
    g.bench_function("baseline_serde_value", |b| {
        b.iter(|| {
            for r in &candidates {
                black_box(serde_json::from_slice::<serde_json::Value>(r).unwrap());
            }
        })
    });
    g.bench_function("detect_record_parse_and_rules", |b| {
        b.iter(|| {
            let mut n = 0;
            for r in &candidates {
                n += detect_record(black_box(r), "f", &limits).unwrap().len();
            }
            n
        })
    });
    g.finish();

    let mut g = group(c, "rules_exposing", bytes(&exposing));
    g.bench_function("detect_record_findings", |b| {
        b.iter(|| {
            let mut n = 0;
            for r in &exposing {
                n += detect_record(black_box(r), "f", &limits).unwrap().len();
            }
            assert_eq!(n, exposing.len());
            n
        })
    });
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let data = typical();
    let mut g = group(c, "end_to_end_file", data.json.len());
    let mut whole = Scanner::new(Limits::default());
    g.bench_function("scan_bytes_libdeflate_whole", |b| {
        b.iter(|| {
            whole
                .scan_bytes("typical.json.gz", black_box(&data.gz))
                .stats
                .records
        })
    });
    let mut streaming = Scanner::new(Limits {
        whole_file_bytes: 0,
        ..Limits::default()
    });
    g.bench_function("scan_bytes_flate2_streaming", |b| {
        b.iter(|| {
            streaming
                .scan_bytes("typical.json.gz", black_box(&data.gz))
                .stats
                .records
        })
    });
    g.finish();

    // A slice of a realistic archive: files of every size, in corpus order.
    let mut files = Vec::new();
    let mut json_bytes = 0;
    let mut i = 0;
    while json_bytes < SAMPLE_BYTES {
        let f = log_file(1, i);
        json_bytes += f.json.len();
        files.push(f.gzip());
        i += 1;
    }
    let mut g = group(c, "end_to_end_corpus_sample", json_bytes);
    g.bench_function(format!("{}_files_scan_bytes", files.len()), |b| {
        b.iter(|| {
            let mut records = 0;
            for f in &files {
                let scan = whole.scan_bytes("sample.json.gz", f);
                assert!(scan.error.is_none());
                records += scan.stats.records;
            }
            records
        })
    });
    let mut d = libdeflater::Decompressor::new();
    let mut out = Vec::new();
    g.bench_function("baseline_libdeflate_decompress_only", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| gunzip_libdeflate(&mut d, f, &mut out))
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    decompress,
    split_and_prefilter,
    parse_and_rules,
    end_to_end
);
criterion_main!(benches);
