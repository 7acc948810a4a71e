//! Byte-level reading of one input file: a reader that hashes (SHA-256) and counts every byte
//! it passes on and reports progress, and a line splitter with a per-line size bound so a
//! file without newlines cannot exhaust memory.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

use sha2::{Digest, Sha256};

/// Longest line kept (64 MiB); longer lines are skipped and counted as bad.
pub(crate) const MAX_LINE_BYTES: u64 = 64 << 20;

/// Progress is reported at least every this many bytes.
const PROGRESS_STEP: u64 = 1 << 20;

/// Passes bytes through while hashing and counting them.
pub(crate) struct HashingReader<'p, R> {
    inner: R,
    hasher: Sha256,
    /// Bytes read from this file.
    pub(crate) bytes: u64,
    /// Newlines seen, and whether the last byte was one (to count a final unterminated line).
    newlines: u64,
    last_newline: bool,
    /// Bytes read from earlier files (progress is cumulative over all inputs).
    base: u64,
    last_report: u64,
    progress: &'p (dyn Fn(u64) + Sync),
}

impl<'p, R: Read> HashingReader<'p, R> {
    pub(crate) fn new(inner: R, base: u64, progress: &'p (dyn Fn(u64) + Sync)) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            newlines: 0,
            last_newline: true,
            base,
            last_report: 0,
            progress,
        }
    }

    /// Read whatever the consumer left unread (so the hash covers the whole file), report
    /// final progress and return `(sha256 hex, bytes, lines)`.
    pub(crate) fn finish(mut self) -> io::Result<(String, u64, u64)> {
        let mut sink = [0u8; 64 * 1024];
        while self.read(&mut sink)? > 0 {}
        (self.progress)(self.base + self.bytes);
        let digest = self.hasher.finalize();
        let mut hex = String::with_capacity(64);
        for b in digest.iter() {
            hex.push_str(&format!("{b:02x}"));
        }
        let lines = self.newlines + u64::from(!self.last_newline);
        Ok((hex, self.bytes, lines))
    }
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        self.hasher.update(chunk);
        self.bytes += n as u64;
        if let Some(&last) = chunk.last() {
            self.newlines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            self.last_newline = last == b'\n';
        }
        if self.bytes - self.last_report >= PROGRESS_STEP {
            self.last_report = self.bytes;
            (self.progress)(self.base + self.bytes);
        }
        Ok(n)
    }
}

/// What [`Lines::next_into`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// A line (without its `\n` / `\r\n`) is in the buffer.
    Text,
    /// The line exceeded [`MAX_LINE_BYTES`]; it was skipped and the buffer is empty.
    TooLong,
}

/// Splits a reader into numbered lines, with lines pushed back by format sniffing replayed
/// first.
pub(crate) struct Lines<R> {
    reader: R,
    /// Number of the last line read from `reader` (1-based).
    line: u64,
    pending: VecDeque<(u64, LineKind, Vec<u8>)>,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self {
            reader,
            line: 0,
            pending: VecDeque::new(),
        }
    }

    /// Replay a line before reading further.
    pub(crate) fn push_back(&mut self, line: u64, kind: LineKind, text: Vec<u8>) {
        self.pending.push_back((line, kind, text));
    }

    /// Read the next line into `buf` (cleared first). Returns its number and kind, or
    /// `None` at the end of input.
    pub(crate) fn next_into(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<(u64, LineKind)>> {
        buf.clear();
        if let Some((n, kind, text)) = self.pending.pop_front() {
            *buf = text;
            return Ok(Some((n, kind)));
        }
        let got = (&mut self.reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', buf)?;
        if got == 0 {
            return Ok(None);
        }
        self.line += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        } else if got as u64 > MAX_LINE_BYTES {
            // Skip the rest of the over-long line without buffering it, and give back the
            // 64 MiB read so far.
            *buf = Vec::new();
            self.reader.skip_until(b'\n')?;
            return Ok(Some((self.line, LineKind::TooLong)));
        }
        Ok(Some((self.line, LineKind::Text)))
    }

    /// The reader, positioned after the last line read (pending lines are dropped).
    pub(crate) fn into_inner(self) -> R {
        self.reader
    }
}

/// `true` when a line holds only whitespace.
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// `line` without a leading UTF-8 byte-order mark and surrounding ASCII whitespace.
pub(crate) fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    line.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_and_crlf_is_stripped() {
        let mut l = Lines::new(&b"a\r\n\nb"[..]);
        let mut buf = Vec::new();
        assert_eq!(
            l.next_into(&mut buf).ok().flatten(),
            Some((1, LineKind::Text))
        );
        assert_eq!(buf, b"a");
        assert_eq!(
            l.next_into(&mut buf).ok().flatten(),
            Some((2, LineKind::Text))
        );
        assert!(buf.is_empty());
        assert_eq!(
            l.next_into(&mut buf).ok().flatten(),
            Some((3, LineKind::Text))
        );
        assert_eq!(buf, b"b");
        assert_eq!(l.next_into(&mut buf).ok().flatten(), None);
    }

    #[test]
    fn hashing_reader_hashes_everything() {
        let progress = |_: u64| {};
        let mut r = HashingReader::new(&b"abc"[..], 0, &progress);
        let mut one = [0u8; 1];
        assert_eq!(r.read(&mut one).ok(), Some(1));
        let (hex, n, lines) = r.finish().unwrap_or_default();
        assert_eq!((n, lines), (3, 1));
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
