//! Bolt's message framing: a message is sent as chunks, each a 16-bit
//! big-endian size and that many bytes, ended by an empty chunk
//! (`00 00`). An empty chunk between messages is a keep-alive (NOOP).

use tokio::io::{AsyncRead, AsyncReadExt};

use super::error::FrameError;

/// Largest chunk.
pub const MAX_CHUNK: usize = 0xFFFF;

/// Reads one message into `buf` (cleared first). `Ok(false)` when the
/// client closed the connection between messages; a message bigger than
/// `max_bytes` is an error (the rest of it is not read).
pub async fn read_message<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max_bytes: usize,
) -> Result<bool, FrameError> {
    buf.clear();
    loop {
        let mut size = [0u8; 2];
        match reader.read_exact(&mut size).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && buf.is_empty() => {
                return Ok(false)
            }
            Err(e) => return Err(e.into()),
        }
        let size = usize::from(u16::from_be_bytes(size));
        if size == 0 {
            if buf.is_empty() {
                // A NOOP between messages.
                continue;
            }
            return Ok(true);
        }
        if buf.len() + size > max_bytes {
            return Err(FrameError::TooLarge { limit: max_bytes });
        }
        let start = buf.len();
        buf.resize(start + size, 0);
        reader.read_exact(&mut buf[start..]).await?;
    }
}

/// Appends `message` to `out` as chunks and the end marker.
pub fn write_message(out: &mut Vec<u8>, message: &[u8]) {
    for chunk in message.chunks(MAX_CHUNK) {
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&[0, 0]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn long_messages_span_chunks_and_noops_are_skipped() {
        let message: Vec<u8> = (0..150_000u32).map(|i| i as u8).collect();
        let mut wire = vec![0, 0, 0, 0];
        write_message(&mut wire, &message);
        assert_eq!(wire.len(), 4 + 150_000 + 3 * 2 + 2);
        write_message(&mut wire, &[0xC0]);
        let mut reader = wire.as_slice();
        let mut buf = Vec::new();
        assert!(block_on(read_message(&mut reader, &mut buf, 1 << 20)).expect("read"));
        assert_eq!(buf, message);
        assert!(block_on(read_message(&mut reader, &mut buf, 1 << 20)).expect("read"));
        assert_eq!(buf, [0xC0]);
        assert!(!block_on(read_message(&mut reader, &mut buf, 1 << 20)).expect("end"));
    }

    #[test]
    fn oversized_and_truncated_messages_are_errors() {
        let mut wire = Vec::new();
        write_message(&mut wire, &[1; 100]);
        let mut buf = Vec::new();
        assert!(matches!(
            block_on(read_message(&mut wire.as_slice(), &mut buf, 50)),
            Err(FrameError::TooLarge { limit: 50 })
        ));
        let truncated = &wire[..40];
        assert!(matches!(
            block_on(read_message(&mut &truncated[..], &mut buf, 1000)),
            Err(FrameError::Io(_))
        ));
    }
}
