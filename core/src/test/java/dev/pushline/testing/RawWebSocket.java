package dev.pushline.testing;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket that writes exactly the frames a test asks for, including broken
 * ones. Reads block for at most 10 s, then fail the test.
 *
 * <p>Not thread-safe; confine to one thread.
 */
public final class RawWebSocket implements Closeable {

  /** A frame read from the server. */
  public record Frame(int opcode, boolean fin, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** For a close frame: its status code, or 1005 when it has none. */
    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
    }
  }

  public static final int TEXT = 1;
  public static final int BINARY = 2;
  public static final int CONTINUATION = 0;
  public static final int CLOSE = 8;
  public static final int PING = 9;
  public static final int PONG = 10;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** A connected socket that has not sent anything yet. */
  public static Socket socket(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(10_000);
    s.setTcpNoDelay(true);
    return s;
  }

  /** Connects and performs the upgrade; fails unless the server answers 101. */
  public static RawWebSocket connect(int port, String path) throws IOException {
    return upgrade(socket(port), path);
  }

  /** Performs the upgrade on a connected socket (an {@code SSLSocket} too); fails unless the server answers 101. */
  public static RawWebSocket upgrade(Socket s, String path) throws IOException {
    String response = handshake(s, path);
    if (!response.startsWith("HTTP/1.1 101")) {
      s.close();
      throw new IOException("upgrade refused: " + response.lines().findFirst().orElse(""));
    }
    return new RawWebSocket(s);
  }

  /** Performs the upgrade on a connected socket with {@code headers} added; fails unless the server answers 101. */
  public static RawWebSocket upgrade(Socket s, String path, Map<String, String> headers) throws IOException {
    String response = handshake(s, path, headers);
    if (!response.startsWith("HTTP/1.1 101")) {
      s.close();
      throw new IOException("upgrade refused: " + response.lines().findFirst().orElse(""));
    }
    return new RawWebSocket(s);
  }

  /**
   * Connects and performs the upgrade with {@code headers} added to the request (such as {@code Origin} or
   * {@code Authorization}); fails unless the server answers 101.
   */
  public static RawWebSocket connect(int port, String path, Map<String, String> headers) throws IOException {
    Socket s = socket(port);
    String response = handshake(s, path, headers);
    if (!response.startsWith("HTTP/1.1 101")) {
      s.close();
      throw new IOException("upgrade refused: " + response.lines().findFirst().orElse(""));
    }
    return new RawWebSocket(s);
  }

  /** Sends an upgrade request for {@code path} and returns the response head. */
  public static String handshake(Socket s, String path) throws IOException {
    return handshake(s, path, Map.of());
  }

  /** Sends an upgrade request for {@code path} with {@code headers} added, and returns the response head. */
  public static String handshake(Socket s, String path, Map<String, String> headers) throws IOException {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1:" + s.getPort() + "\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n");
    headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
    request.append("\r\n");
    s.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
    return readHead(s.getInputStream());
  }

  /** A valid upgrade request for {@code path}, with {@code extraHeaders} (each ending in CR LF). */
  public static String upgradeRequest(String path, String extraHeaders) {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    return "GET " + path + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + extraHeaders + "\r\n";
  }

  /** An HTTP response: its head (status line and headers) and its body. */
  public record Response(String head, String body) {
    public String statusLine() {
      return head.lines().findFirst().orElse("");
    }

    /** The value of header {@code name} (any case), or null. */
    public String header(String name) {
      return head.lines().skip(1)
          .filter(l -> l.regionMatches(true, 0, name + ":", 0, name.length() + 1))
          .map(l -> l.substring(name.length() + 1).trim()).findFirst().orElse(null);
    }
  }

  /**
   * Writes {@code chunk} again and again until the server cuts the connection off; fails if it took
   * {@code maxBytes} first.
   */
  public static void sendUntilCutOff(Socket s, byte[] chunk, long maxBytes) {
    long sent = 0;
    try {
      while (sent < maxBytes) {
        s.getOutputStream().write(chunk);
        sent += chunk.length;
      }
    } catch (IOException cutOff) {
      return; // expected: a reset or broken pipe once the server closed
    }
    throw new AssertionError("the server took " + sent + " bytes without cutting the connection off");
  }

  /** Sends {@code request} as is and reads the response: head, then a body of its Content-Length. */
  public static Response exchange(Socket s, String request) throws IOException {
    s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    return readResponse(s);
  }

  /** Reads a response: head, then a body of its Content-Length (none without one). */
  public static Response readResponse(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    String head = readHead(in);
    Response headOnly = new Response(head, "");
    String length = headOnly.header("Content-Length");
    byte[] body = new DataInputStream(in).readNBytes(length == null ? 0 : Integer.parseInt(length));
    return new Response(head, new String(body, StandardCharsets.UTF_8));
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the handshake: " + head);
      }
      head.write(b);
      state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
          ? state + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  public void sendText(String text) throws IOException {
    sendFrame(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Sends one masked frame, as a client must, in a single write: a server that closes after reading a bad
   * header must not turn the rest of the frame into a broken pipe.
   */
  public void sendFrame(int opcode, boolean fin, byte[] payload) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write(header(opcode, fin, payload.length));
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i & 3]);
    }
    out.write(frame.toByteArray());
    out.flush();
  }

  /** Sends only a frame header that claims {@code declaredLength} payload bytes, and a mask. */
  public void sendHeaderOnly(int opcode, long declaredLength) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(header(opcode, true, declaredLength));
    frame.write(new byte[4]);
    out.write(frame.toByteArray());
    out.flush();
  }

  /** Writes arbitrary bytes. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  private static byte[] header(int opcode, boolean fin, long length) {
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    h.write((fin ? 0x80 : 0) | opcode);
    if (length <= 125) {
      h.write(0x80 | (int) length);
    } else if (length <= 0xFFFF) {
      h.write(0x80 | 126);
      h.write((int) (length >>> 8));
      h.write((int) length);
    } else {
      h.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        h.write((int) (length >>> (8 * i)));
      }
    }
    return h.toByteArray();
  }

  /** The next frame from the server; fails after 10 s. */
  public Frame readFrame() throws IOException {
    return readFrame(in);
  }

  /** Reads one server frame from {@code in}. */
  public static Frame readFrame(DataInputStream in) throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7F;
    if (len == 126) {
      len = in.readUnsignedShort();
    } else if (len == 127) {
      len = in.readLong();
    }
    if ((b1 & 0x80) != 0) {
      throw new IOException("server frames must not be masked");
    }
    if (len > 64 * 1024 * 1024) {
      throw new IOException("frame of " + len + " bytes");
    }
    byte[] payload = new byte[(int) len];
    in.readFully(payload);
    return new Frame(b0 & 0x0F, (b0 & 0x80) != 0, payload);
  }

  /** The next text frame, skipping pings (answered) and pongs. */
  public String readText() throws IOException {
    while (true) {
      Frame f = readFrame();
      if (f.opcode() == TEXT) {
        return f.text();
      }
      if (f.opcode() == PING) {
        sendFrame(PONG, true, f.payload());
      } else if (f.opcode() != PONG) {
        throw new IOException("expected a text frame, got opcode " + f.opcode()
            + (f.opcode() == CLOSE ? " (close " + f.closeCode() + ")" : ""));
      }
    }
  }

  /**
   * Reads until the server closes: returns the close frame's code, or -1 when the TCP connection ended
   * without one. Fails after 10 s of silence.
   */
  public int awaitClose() throws IOException {
    try {
      while (true) {
        Frame f = readFrame();
        if (f.opcode() == CLOSE) {
          return f.closeCode();
        }
      }
    } catch (EOFException | SocketException e) {
      return -1;
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection within 10 s", e);
    }
  }

  /** Whether the server ended the TCP connection: true on EOF or reset, fails after 10 s. */
  public static boolean awaitEof(Socket s) throws IOException {
    try {
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      while (in.read(buf) >= 0) {
        // discard whatever the server still sends (an HTTP error response, a close frame)
      }
      return true;
    } catch (SocketException e) {
      return true;
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the socket within 10 s", e);
    }
  }

  public Socket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
