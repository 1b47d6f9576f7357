package dev.pql.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debian's Chromium, headless, driven through the DevTools protocol over the JDK's own WebSocket client: open a
 * page, evaluate JavaScript in it, capture a screenshot, and keep what the page logged as errors (console errors,
 * uncaught exceptions, failed loads) and every request it made. Installed by the project's setup step when missing.
 */
final class HeadlessChromium implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final Process process;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final List<JsonNode> events = java.util.Collections.synchronizedList(new ArrayList<>());

  /** Chromium and the fonts it draws text with, installed through the setup step when missing. */
  static void install() throws IOException, InterruptedException {
    DebianPackages.install("chromium", "fonts-liberation");
  }

  private HeadlessChromium(Process process, WebSocket socket) {
    this.process = process;
    this.socket = socket;
  }

  /**
   * Starts Chromium headless on a blank page (as root it needs --no-sandbox) with a new profile in {@code profile}
   * (whatever was there is deleted: an old DevToolsActivePort names a dead port), and connects to that page.
   */
  static HeadlessChromium start(Path profile) throws Exception {
    SampleRun.deleteRecursively(profile);
    Files.createDirectories(profile);
    Process process = new ProcessBuilder("chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-port=0", "--remote-allow-origins=*",
        "--user-data-dir=" + profile, "about:blank")
        .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
    Path portFile = profile.resolve("DevToolsActivePort");
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("Chromium did not start: " + Files.readString(profile.resolve("chromium.log")));
      }
      Thread.sleep(100);
    }
    int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
    HttpClient http = HttpClient.newHttpClient();
    String page = null;
    while (page == null && System.nanoTime() < deadline) {
      JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body());
      for (JsonNode t : targets) {
        if ("page".equals(t.path("type").asText())) page = t.path("webSocketDebuggerUrl").asText();
      }
      if (page == null) Thread.sleep(100);
    }
    if (page == null) throw new IllegalStateException("Chromium opened no page on port " + port);
    HeadlessChromium[] self = new HeadlessChromium[1];
    WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(page), new WebSocket.Listener() {
      private final StringBuilder frame = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        frame.append(data);
        if (last) {
          self[0].received(frame.toString());
          frame.setLength(0);
        }
        ws.request(1);
        return null;
      }
    }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    self[0] = new HeadlessChromium(process, socket);
    for (String domain : List.of("Runtime", "Log", "Page", "Network")) self[0].call(domain + ".enable", null);
    return self[0];
  }

  private void received(String text) {
    try {
      JsonNode message = JSON.readTree(text);
      if (message.has("id")) {
        CompletableFuture<JsonNode> answer = pending.remove(message.get("id").asInt());
        if (answer != null) answer.complete(message);
      } else {
        events.add(message);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A protocol call and its result; an error answer fails. */
  JsonNode call(String method, ObjectNode params) throws Exception {
    int id = ids.incrementAndGet();
    ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
    if (params != null) message.set("params", params);
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(id, answer);
    socket.sendText(JSON.writeValueAsString(message), true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    JsonNode reply = answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    if (reply.has("error")) throw new IllegalStateException(method + ": " + reply.get("error"));
    return reply.path("result");
  }

  /** Opens the URL at the given viewport width and waits for its load event. */
  void open(String url, int width) throws Exception {
    resize(width, 900);
    call("Page.navigate", JSON.createObjectNode().put("url", url));
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (events().stream().noneMatch(e -> "Page.loadEventFired".equals(e.path("method").asText()))) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("The page did not load: " + url);
      Thread.sleep(50);
    }
  }

  private void resize(int width, int height) throws Exception {
    call("Emulation.setDeviceMetricsOverride", JSON.createObjectNode().put("width", width).put("height", height)
        .put("deviceScaleFactor", 1).put("mobile", false));
  }

  /** The value of a JavaScript expression evaluated in the page (JSON-like values only). */
  JsonNode evaluate(String expression) throws Exception {
    JsonNode r = call("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
        .put("returnByValue", true).put("awaitPromise", true));
    if (r.has("exceptionDetails")) throw new IllegalStateException("In the page: " + r.get("exceptionDetails"));
    return r.path("result").path("value");
  }

  /** A PNG of the whole page, at its full height. */
  void screenshot(Path png, int width) throws Exception {
    int height = evaluate("document.documentElement.scrollHeight").asInt();
    resize(width, Math.min(height, 16_000));
    JsonNode shot = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
    Files.createDirectories(png.getParent());
    Files.write(png, Base64.getDecoder().decode(shot.get("data").asText()));
  }

  /** What the page reported as errors: console.error calls, uncaught exceptions, error log entries. */
  List<String> errors() {
    List<String> errors = new ArrayList<>();
    for (JsonNode e : events()) {
      String method = e.path("method").asText();
      JsonNode p = e.path("params");
      if (method.equals("Runtime.consoleAPICalled") && p.path("type").asText().equals("error")) {
        errors.add("console.error: " + p.path("args"));
      } else if (method.equals("Runtime.exceptionThrown")) {
        errors.add("exception: " + p.path("exceptionDetails"));
      } else if (method.equals("Log.entryAdded") && p.path("entry").path("level").asText().equals("error")) {
        errors.add("log: " + p.path("entry").path("text").asText());
      } else if (method.equals("Network.loadingFailed")) {
        errors.add("failed load: " + p.path("errorText").asText());
      }
    }
    return errors;
  }

  /** The URL of every request the page made. */
  List<String> requests() {
    return events().stream().filter(e -> "Network.requestWillBeSent".equals(e.path("method").asText()))
        .map(e -> e.path("params").path("request").path("url").asText()).toList();
  }

  private List<JsonNode> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  @Override
  public void close() {
    socket.abort();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
