//! Opening inputs: plain files, `.gz`, `.zst` and stdin.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

/// How an input is compressed, decided by its first bytes (not its name).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip (also multi-member, as `cat a.gz b.gz` makes).
    Gzip,
    /// Zstandard.
    Zstd,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Opens `path` (`-` is stdin) and returns a reader of its decompressed bytes.
pub fn open_input(path: &Path) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path)?)
    };
    let mut reader = BufReader::with_capacity(128 * 1024, raw);
    let head = io::BufRead::fill_buf(&mut reader)?;
    let compression = if head.starts_with(ZSTD_MAGIC) {
        Compression::Zstd
    } else if head.starts_with(GZIP_MAGIC) {
        Compression::Gzip
    } else {
        Compression::None
    };
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(reader),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(reader)?),
    };
    Ok((reader, compression))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn decompresses_by_magic_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"line one\nline two\n";
        let plain = dir.path().join("a.gz"); // misleading name
        std::fs::write(&plain, text).unwrap();
        let gz = dir.path().join("b.log");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text).unwrap();
        let mut twice = e.finish().unwrap();
        twice.extend_from_slice(&twice.clone()); // multi-member
        std::fs::write(&gz, &twice).unwrap();
        let zst = dir.path().join("c");
        std::fs::write(&zst, zstd::encode_all(&text[..], 3).unwrap()).unwrap();

        for (p, want, c) in [
            (&plain, text.to_vec(), Compression::None),
            (&gz, [text.as_slice(), text].concat(), Compression::Gzip),
            (&zst, text.to_vec(), Compression::Zstd),
        ] {
            let (mut r, got_c) = open_input(p).unwrap();
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, want);
            assert_eq!(got_c, c);
        }
    }
}
