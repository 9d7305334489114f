package dev.pushline.examples.logtail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a text file the way {@code tail -F} does, one {@link #poll()} at a time.
 *
 * <h2>What it copes with</h2>
 * <ul>
 *   <li><b>Appends.</b> Each poll reads what was written since the last one and returns the complete
 *       lines; a partial last line is held until its newline arrives (see {@link LineSplitter} for
 *       CRLF, overlong lines and malformed UTF-8).</li>
 *   <li><b>Truncation</b> ({@code > app.log}, logrotate's {@code copytruncate}): when the file is shorter
 *       than what was read, it is read again from the start.</li>
 *   <li><b>Rotation</b> (the file is renamed away and a new one created, or deleted and recreated): when
 *       the path names a different file (another file key, i.e. device and inode on Unix), the rest of the
 *       old file is read first, then the new file is opened and read from its start.</li>
 *   <li><b>A missing file</b> is waited for; once it appears it is read from its start.</li>
 *   <li><b>A deleted file</b> that is not recreated stays open and keeps being read, since a logger may
 *       still be writing to it.</li>
 * </ul>
 *
 * <h2>Limits</h2>
 * Memory is bounded: one line of at most {@link #MAX_LINE_BYTES} is held, and one poll reads at most
 * {@link #MAX_BYTES_PER_POLL} (the rest comes with the next polls). Like {@code tail -F}, a file that is
 * truncated and then grows past the old read position between two polls cannot be told from one that
 * only grew; and lines written to a rotated file after the tailer switched to the new file are not
 * read. Files are read as UTF-8.
 *
 * <p>Not thread-safe; confine to one thread.
 */
final class LogTailer implements LineSource {

  private static final Logger log = LoggerFactory.getLogger(LogTailer.class);

  /** Lines longer than this many bytes are cut and marked. */
  static final int MAX_LINE_BYTES = 16 * 1024;

  /** The most one {@link #poll()} reads, so that a burst of writes is spread over several polls. */
  static final int MAX_BYTES_PER_POLL = 1024 * 1024;

  private final Path path;
  private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
  private final LineSplitter splitter = new LineSplitter(MAX_LINE_BYTES);
  /** The file being read, or null while the path has no file (or after close). */
  private FileChannel channel;
  /** Identifies the file {@link #channel} reads: its file key, or its creation time where there is none. */
  private Object fileId;
  /** Where the next read starts in {@link #channel}. */
  private long position;
  private boolean closed;

  private LogTailer(Path path) {
    this.path = Objects.requireNonNull(path, "path");
  }

  /**
   * A tailer that skips what {@code path} holds now and returns only lines written from now on, like
   * {@code tail -F -n 0}. If there is no file at {@code path} yet, it waits for one and reads it whole.
   *
   * @throws IOException if the file exists but cannot be opened
   */
  static LogTailer fromEnd(Path path) throws IOException {
    LogTailer tailer = new LogTailer(path);
    if (tailer.tryOpen()) {
      tailer.position = tailer.channel.size();
    }
    return tailer;
  }

  /**
   * A tailer that returns every line {@code path} holds, then follows it.
   *
   * @throws IOException if the file exists but cannot be opened
   */
  static LogTailer fromStart(Path path) throws IOException {
    LogTailer tailer = new LogTailer(path);
    tailer.tryOpen();
    return tailer;
  }

  @Override
  public List<String> poll() throws IOException {
    if (closed) {
      throw new IllegalStateException("the tailer of " + path + " is closed");
    }
    List<String> lines = new ArrayList<>();
    if (channel != null) {
      Object currentId = fileIdOrNull();
      if (currentId != null && !currentId.equals(fileId)) {
        // Rotated: finish the old file before switching, so no line written before the rotation is lost.
        if (!readAvailable(lines)) {
          return lines; // more of the old file is left for the next poll
        }
        splitter.flush(lines);
        closeChannel();
        log.info("{} was replaced; reading the new file from its start", path);
      } else if (channel.size() < position) {
        splitter.flush(lines);
        position = 0;
        log.info("{} was truncated; reading it again from its start", path);
      }
    }
    if (channel == null) {
      if (!tryOpen()) {
        return lines;
      }
      log.info("{} appeared; following it", path);
    }
    readAvailable(lines);
    return lines;
  }

  @Override
  public String description() {
    return path.toString();
  }

  /** The file followed. */
  Path path() {
    return path;
  }

  /** Closes the file. Idempotent; {@link #poll()} throws afterwards. */
  @Override
  public void close() throws IOException {
    closed = true;
    closeChannel();
  }

  /**
   * Reads from {@link #position} towards the end of the file, at most {@link #MAX_BYTES_PER_POLL}.
   *
   * @return true if it reached the end of the file
   */
  private boolean readAvailable(List<String> lines) throws IOException {
    long budget = MAX_BYTES_PER_POLL;
    while (budget > 0) {
      buffer.clear();
      buffer.limit((int) Math.min(buffer.capacity(), budget));
      int n = channel.read(buffer, position);
      if (n <= 0) {
        return true;
      }
      position += n;
      budget -= n;
      buffer.flip();
      splitter.feed(buffer, lines);
    }
    return false;
  }

  /**
   * Opens the file at {@link #path} at position 0 if there is one.
   *
   * @return false if there is no file at the path
   */
  private boolean tryOpen() throws IOException {
    Object before = fileIdOrNull();
    if (before == null) {
      return false;
    }
    FileChannel opened;
    try {
      opened = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return false; // removed between the look and the open: try again at the next poll
    }
    // The path may have been pointed at another file between the look and the open: then the id
    // would not describe the opened file, so try again at the next poll.
    Object after = fileIdOrNull();
    if (!before.equals(after)) {
      opened.close();
      return false;
    }
    channel = opened;
    fileId = before;
    position = 0;
    return true;
  }

  /** The id of the file at {@link #path} now, or null if there is none. */
  private Object fileIdOrNull() throws IOException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return null;
    }
    if (attributes.isDirectory()) {
      throw new IOException(path + " is a directory, not a log file");
    }
    Object key = attributes.fileKey();
    return key != null ? key : attributes.creationTime();
  }

  private void closeChannel() throws IOException {
    FileChannel c = channel;
    channel = null;
    fileId = null;
    if (c != null) {
      c.close();
    }
  }
}
