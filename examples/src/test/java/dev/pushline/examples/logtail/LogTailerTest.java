package dev.pushline.examples.logtail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LogTailer} on real temp files, driven by calling {@link LogTailer#poll()} directly. */
class LogTailerTest {

  private static final String CUT = String.format(LineSplitter.CUT_MARK, LogTailer.MAX_LINE_BYTES);

  @TempDir
  Path dir;

  private Path log;
  private LogTailer tailer;

  @BeforeEach
  void setUp() {
    log = dir.resolve("app.log");
  }

  @AfterEach
  void tearDown() throws IOException {
    if (tailer != null) {
      tailer.close();
    }
  }

  @Test
  void returnsLinesAppendedSinceTheLastPoll() throws IOException {
    append("first\n");
    tailer = LogTailer.fromStart(log);

    assertEquals(List.of("first"), tailer.poll());
    assertEquals(List.of(), tailer.poll());
    append("second\nthird\n");
    assertEquals(List.of("second", "third"), tailer.poll());
  }

  @Test
  void fromEndSkipsWhatTheFileAlreadyHeld() throws IOException {
    append("old 1\nold 2\n");
    tailer = LogTailer.fromEnd(log);

    assertEquals(List.of(), tailer.poll());
    append("new\n");
    assertEquals(List.of("new"), tailer.poll());
  }

  @Test
  void holdsAPartialLineUntilItsNewlineArrives() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());

    append("GET /api/or");
    assertEquals(List.of(), tailer.poll());
    append("ders 200");
    assertEquals(List.of(), tailer.poll());
    append(" 12ms\nnext");
    assertEquals(List.of("GET /api/orders 200 12ms"), tailer.poll());
    append("\n");
    assertEquals(List.of("next"), tailer.poll());
  }

  @Test
  void stripsCrlfEvenWhenCrAndLfArriveInDifferentPolls() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());

    append("windows line\r\nsplit\r");
    assertEquals(List.of("windows line"), tailer.poll());
    append("\n\r\n");
    assertEquals(List.of("split", ""), tailer.poll());
  }

  @Test
  void keepsACarriageReturnThatIsNotPartOfALineEnd() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());

    append("progress 10%\rprogress 20%\n");
    assertEquals(List.of("progress 10%\rprogress 20%"), tailer.poll());
  }

  @Test
  void rereadsATruncatedFileFromTheStart() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    append("one\ntwo\nthree\n");
    assertEquals(List.of("one", "two", "three"), tailer.poll());

    Files.write(log, new byte[0]); // > app.log
    assertEquals(List.of(), tailer.poll());
    append("after truncation\n");
    assertEquals(List.of("after truncation"), tailer.poll());
  }

  @Test
  void truncationThatIsRewrittenBeforeThePollIsStillSeen() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    append("a rather long first line\n");
    assertEquals(List.of("a rather long first line"), tailer.poll());

    Files.writeString(log, "short\n"); // truncate and write, shorter than before, between two polls
    assertEquals(List.of("short"), tailer.poll());
  }

  @Test
  void emitsAPartialLineLeftBehindByTruncation() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    append("complete\nunfinished");
    assertEquals(List.of("complete"), tailer.poll());

    Files.write(log, new byte[0]);
    assertEquals(List.of("unfinished"), tailer.poll());
  }

  @Test
  void reopensAFileRotatedByRenameAndRecreate() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    append("before rotation\n");
    assertEquals(List.of("before rotation"), tailer.poll());

    Path rotated = dir.resolve("app.log.1");
    Files.move(log, rotated, StandardCopyOption.ATOMIC_MOVE);
    // The logger writes a last line to the old file, then opens a new one.
    Files.writeString(rotated, "last line of the old file\npartial", StandardOpenOption.APPEND);
    append("first line of the new file\n");

    assertEquals(List.of("last line of the old file", "partial", "first line of the new file"), tailer.poll());
    append("second line of the new file\n");
    assertEquals(List.of("second line of the new file"), tailer.poll());
  }

  @Test
  void followsARenameWhoseNewFileAppearsOnlyLater() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    Files.move(log, dir.resolve("app.log.1"), StandardCopyOption.ATOMIC_MOVE);

    assertEquals(List.of(), tailer.poll());
    append("new file\n");
    assertEquals(List.of("new file"), tailer.poll());
  }

  @Test
  void reopensAFileDeletedAndRecreated() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    append("old\n");
    assertEquals(List.of("old"), tailer.poll());

    Files.delete(log);
    append("recreated\n");
    assertEquals(List.of("recreated"), tailer.poll());
  }

  @Test
  void keepsReadingADeletedFileThatALoggerStillWrites() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    try (FileChannel writer = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      Files.delete(log);
      writer.write(ByteBuffer.wrap("written after delete\n".getBytes(StandardCharsets.UTF_8)));

      assertEquals(List.of("written after delete"), tailer.poll());
    }
  }

  @Test
  void waitsForAMissingFileAndReadsItWholeOnceItAppears() throws IOException {
    tailer = LogTailer.fromEnd(log);

    assertEquals(List.of(), tailer.poll());
    assertEquals(List.of(), tailer.poll());
    append("hello\nworld\n");
    assertEquals(List.of("hello", "world"), tailer.poll());
  }

  @Test
  void cutsAnOverlongLineAtTheLimitAndSaysSo() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());

    append("x".repeat(LogTailer.MAX_LINE_BYTES * 3) + "\nnext\n");

    assertEquals(List.of("x".repeat(LogTailer.MAX_LINE_BYTES) + CUT, "next"), tailer.poll());
  }

  @Test
  void keepsALineOfExactlyTheLimitWhole() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    String longest = "y".repeat(LogTailer.MAX_LINE_BYTES);

    append(longest + "\r\n" + longest + "\n");

    assertEquals(List.of(longest, longest), tailer.poll());
  }

  @Test
  void emitsAnEndlessLineAtTheLimitWithoutWaitingForItsNewline() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());

    append("z".repeat(LogTailer.MAX_LINE_BYTES + 1));
    assertEquals(List.of("z".repeat(LogTailer.MAX_LINE_BYTES) + CUT), tailer.poll());
    append("z".repeat(100_000));
    assertEquals(List.of(), tailer.poll());
    append("zzz\nafter\n");
    assertEquals(List.of("after"), tailer.poll());
  }

  @Test
  void doesNotCutInsideAMultiByteCharacter() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    String head = "a".repeat(LogTailer.MAX_LINE_BYTES - 1);

    append(head + "é" + "b".repeat(10) + "\n"); // é is 2 bytes and straddles the limit

    assertEquals(List.of(head + CUT), tailer.poll());
  }

  @Test
  void decodesUtf8AndReplacesMalformedBytes() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());

    Files.write(log, new byte[] {'o', 'k', ' ', (byte) 0xC3, (byte) 0xA9, ' ', (byte) 0xFF, '\n'},
        StandardOpenOption.APPEND);

    assertEquals(List.of("ok é \uFFFD"), tailer.poll());
  }

  @Test
  void readsAtMostOneMebibytePerPoll() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    String line = "0123456789".repeat(10); // 100 characters, 101 bytes with the newline
    int count = 3 * LogTailer.MAX_BYTES_PER_POLL / 101;
    append((line + "\n").repeat(count));

    List<String> first = tailer.poll();
    assertTrue(first.size() <= LogTailer.MAX_BYTES_PER_POLL / 101 + 1, "first poll read " + first.size());
    List<String> all = new ArrayList<>(first);
    for (int i = 0; i < 10 && all.size() < count; i++) {
      all.addAll(tailer.poll());
    }
    assertEquals(count, all.size());
    assertTrue(all.stream().allMatch(line::equals));
  }

  @Test
  void reportsADirectoryAtThePathAsAnError() throws IOException {
    tailer = LogTailer.fromEnd(log);
    Files.createDirectory(log);

    IOException e = assertThrows(IOException.class, tailer::poll);
    assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
  }

  @Test
  void refusesToPollOnceClosed() throws IOException {
    tailer = LogTailer.fromEnd(createEmpty());
    tailer.close();

    assertThrows(IllegalStateException.class, tailer::poll);
  }

  private Path createEmpty() throws IOException {
    return Files.createFile(log);
  }

  private void append(String text) throws IOException {
    Files.writeString(log, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
