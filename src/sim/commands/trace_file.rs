//! Where a trace goes on disk (issue #17, item 13). The engine serialises lines into memory; a
//! writer thread compresses (when the name ends in `.zst`) and writes them, so the disk and
//! zstd stay off the simulation's critical path. Blocks of 1 MiB travel over a bounded channel
//! (at most 8 in flight), so memory stays bounded however long the trace is.

use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

const BLOCK_BYTES: usize = 1 << 20;
const BLOCKS_IN_FLIGHT: usize = 8;
/// zstd's default level: about 10:1 on traces at several hundred MB/s on one core.
const ZSTD_LEVEL: i32 = 3;

/// Whether a trace path asks for compression.
pub fn compressed(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "zst")
}

/// A trace file written by a background thread. Call [`TraceFile::finish`] to learn whether
/// every byte reached the file; dropping it without finishing abandons the write.
pub struct TraceFile {
    block: Vec<u8>,
    tx: Option<SyncSender<Vec<u8>>>,
    writer: Option<JoinHandle<io::Result<()>>>,
}

impl TraceFile {
    /// Create `path` (truncated), compressed with zstd when `zstd` is true.
    pub fn create(path: &Path, zstd: bool) -> io::Result<TraceFile> {
        let file = std::fs::File::create(path)?;
        let (tx, rx) = sync_channel::<Vec<u8>>(BLOCKS_IN_FLIGHT);
        let writer = std::thread::Builder::new().name("trace-writer".into()).spawn(move || -> io::Result<()> {
            let mut out: Box<dyn Write> = if zstd {
                Box::new(zstd::stream::write::Encoder::new(io::BufWriter::new(file), ZSTD_LEVEL)?.auto_finish())
            } else {
                Box::new(io::BufWriter::new(file))
            };
            for block in rx {
                out.write_all(&block)?;
            }
            out.flush()
        })?;
        Ok(TraceFile { block: Vec::with_capacity(BLOCK_BYTES), tx: Some(tx), writer: Some(writer) })
    }

    fn send(&mut self) -> io::Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let block = std::mem::replace(&mut self.block, Vec::with_capacity(BLOCK_BYTES));
        match &self.tx {
            Some(tx) => tx.send(block).map_err(|_| io::Error::other("the trace writer stopped (see the error at the end of the run)")),
            None => Err(io::Error::other("the trace is finished")),
        }
    }

    /// Send what is left, wait for the writer, and return its first error (a full disk, say).
    pub fn finish(mut self) -> io::Result<()> {
        let sent = self.send();
        self.tx = None; // closes the channel: the writer drains it and ends
        let written = match self.writer.take() {
            Some(w) => w.join().unwrap_or_else(|_| Err(io::Error::other("the trace writer panicked"))),
            None => Ok(()),
        };
        written.and(sent)
    }
}

impl Write for TraceFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.block.extend_from_slice(buf);
        if self.block.len() >= BLOCK_BYTES {
            self.send()?;
        }
        Ok(buf.len())
    }

    /// Hands the current block to the writer; durability comes with [`TraceFile::finish`].
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("syncsim-trace-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn every_byte_written_reaches_the_file_in_order_across_blocks() {
        let path = temp("plain.jsonl");
        let mut t = TraceFile::create(&path, false).unwrap();
        let line = b"{\"t_ms\":1,\"kind\":\"x\"}\n";
        let lines = 3 * BLOCK_BYTES / line.len();
        for _ in 0..lines {
            t.write_all(line).unwrap();
        }
        t.finish().unwrap();
        let got = std::fs::read(&path).unwrap();
        assert_eq!(got.len(), lines * line.len());
        assert!(got.chunks(line.len()).all(|c| c == line));
    }

    #[test]
    fn a_zst_trace_decompresses_to_the_plain_bytes() {
        let path = temp("packed.jsonl.zst");
        assert!(compressed(&path));
        let mut t = TraceFile::create(&path, true).unwrap();
        let text: String = (0..50_000).map(|i| format!("{{\"t_ms\":{i},\"kind\":\"beat\"}}\n")).collect();
        t.write_all(text.as_bytes()).unwrap();
        t.finish().unwrap();
        let packed = std::fs::read(&path).unwrap();
        assert!(packed.len() * 5 < text.len(), "compressed: {} of {}", packed.len(), text.len());
        assert_eq!(zstd::stream::decode_all(&packed[..]).unwrap(), text.as_bytes());
    }

    #[test]
    fn a_write_error_is_returned_by_finish() {
        // /dev/full accepts the open and fails every write with ENOSPC, as a full disk does.
        let mut t = TraceFile::create(Path::new("/dev/full"), false).unwrap();
        t.write_all(&vec![b'x'; 2 * BLOCK_BYTES]).unwrap_or(());
        assert!(t.finish().is_err());
    }
}
