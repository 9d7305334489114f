package dev.pushline.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * A scriptable WebSocket server on a plain {@link ServerSocket}, driven by the test thread: it accepts the
 * upgrade, then sends and reads exactly what the test says. No threads; every blocking call is bounded by
 * a socket timeout.
 */
final class FakeServer implements AutoCloseable {

  private static final int TIMEOUT_MILLIS = 10_000;

  private final ServerSocket server;
  private final List<Peer> peers = new ArrayList<>();

  FakeServer() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    server.setSoTimeout(TIMEOUT_MILLIS);
  }

  URI uri() {
    return URI.create("ws://127.0.0.1:" + server.getLocalPort() + "/pushline");
  }

  /** Accepts the next connection and completes its WebSocket upgrade. */
  Peer accept() throws IOException {
    Socket socket = server.accept();
    socket.setSoTimeout(TIMEOUT_MILLIS);
    Peer peer = new Peer(socket);
    peers.add(peer);
    peer.upgrade();
    return peer;
  }

  /** Whether a connection arrives within {@code millis}. */
  boolean connectionArrivesWithin(int millis) throws IOException {
    server.setSoTimeout(millis);
    try (Socket s = server.accept()) {
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } finally {
      server.setSoTimeout(TIMEOUT_MILLIS);
    }
  }

  @Override
  public void close() throws IOException {
    for (Peer p : peers) {
      p.socket.close();
    }
    server.close();
  }

  /** A frame as read from the client. */
  record Frame(int opcode, boolean fin, byte[] payload) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }
  }

  static final class Peer {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    Peer(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new DataInputStream(socket.getInputStream());
      this.out = socket.getOutputStream();
    }

    private void upgrade() throws IOException {
      String key = null;
      for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("sec-websocket-key")) {
          key = line.substring(colon + 1).trim();
        }
      }
      if (key == null) {
        throw new IOException("no Sec-WebSocket-Key in the upgrade request");
      }
      String accept;
      try {
        byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
        accept = Base64.getEncoder().encodeToString(sha1);
      } catch (NoSuchAlgorithmException e) {
        throw new IOException(e);
      }
      out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    /** Sends {@code text} as one text frame. */
    void send(String text) throws IOException {
      frame(true, 0x1, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one text message split into frames: a text frame, then continuations. */
    void sendFragmented(String... parts) throws IOException {
      for (int i = 0; i < parts.length; i++) {
        frame(i == parts.length - 1, i == 0 ? 0x1 : 0x0, parts[i].getBytes(StandardCharsets.UTF_8));
      }
    }

    void sendWelcome() throws IOException {
      send("{\"type\":\"welcome\",\"client\":\"fake-1\",\"protocol\":1,\"maxMessageBytes\":65536,"
          + "\"maxSubscriptions\":1024}");
    }

    /** A welcome that announces pings every {@code pingIntervalMs}. */
    void sendWelcome(long pingIntervalMs) throws IOException {
      send("{\"type\":\"welcome\",\"client\":\"fake-1\",\"protocol\":1,\"maxMessageBytes\":65536,"
          + "\"maxSubscriptions\":1024,\"pingIntervalMs\":" + pingIntervalMs + "}");
    }

    /** Sends a WebSocket ping with {@code payload}. */
    void sendPing(String payload) throws IOException {
      frame(true, 0x9, payload.getBytes(StandardCharsets.UTF_8));
    }

    void sendClose(int code, String reason) throws IOException {
      byte[] r = reason.getBytes(StandardCharsets.UTF_8);
      byte[] payload = new byte[2 + r.length];
      payload[0] = (byte) (code >> 8);
      payload[1] = (byte) code;
      System.arraycopy(r, 0, payload, 2, r.length);
      frame(true, 0x8, payload);
    }

    /** Reads the next client frame, skipping pings and pongs. */
    Frame read() throws IOException {
      for (;;) {
        Frame f = readAny();
        if (f.opcode() != 0x9 && f.opcode() != 0xA) {
          return f;
        }
      }
    }

    /** Reads the next client frame, whatever it is. */
    Frame readAny() throws IOException {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      assertTrue((b1 & 0x80) != 0, "client frames must be masked");
      long len = b1 & 0x7f;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] mask = new byte[4];
      in.readFully(mask);
      byte[] payload = new byte[Math.toIntExact(len)];
      in.readFully(payload);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i & 3];
      }
      return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, payload);
    }

    /** Reads the next client frame, which must be a whole text message holding a JSON object. */
    JsonObject readRequest() throws IOException {
      Frame f = read();
      assertEquals(0x1, f.opcode(), "expected a text frame");
      assertTrue(f.fin(), "expected a whole message");
      return JsonParser.parseString(f.text()).getAsJsonObject();
    }

    /** Whether the client sends anything (other than ping/pong) within {@code millis}. */
    boolean quietFor(int millis) throws IOException {
      socket.setSoTimeout(millis);
      try {
        read();
        return false;
      } catch (java.net.SocketTimeoutException e) {
        return true;
      } finally {
        socket.setSoTimeout(TIMEOUT_MILLIS);
      }
    }

    private void frame(boolean fin, int opcode, byte[] payload) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream(payload.length + 10);
      b.write((fin ? 0x80 : 0) | opcode);
      if (payload.length <= 125) {
        b.write(payload.length);
      } else if (payload.length <= 0xffff) {
        b.write(126);
        b.write(payload.length >> 8);
        b.write(payload.length);
      } else {
        b.write(127);
        for (int i = 7; i >= 0; i--) {
          b.write((int) ((long) payload.length >> (8 * i)));
        }
      }
      b.write(payload);
      out.write(b.toByteArray());
      out.flush();
    }

    private static String readLine(InputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed during the upgrade");
        }
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return line.toString();
    }
  }
}
