// LiveClient: one conversation with a Kinema character in a <video> element.
// WebRTC first (video + audio tracks, data channel, microphone with echo cancellation); if no
// frame arrives in time it falls back to the WebSocket protocol (JPEG frames painted on a canvas
// whose captureStream() feeds the same <video>, PCM16 audio scheduled with Web Audio by pts).
// Shared by the Studio's test mode and embed.js. Emits "event" (server JSON) and "transport".

const HEADER = 10; // kind u8, flags u8, pts µs i64 big-endian
const KIND_VIDEO = 1;
const KIND_AUDIO = 2;

function waitIce(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(t); resolve(); };
    const t = setTimeout(done, ms);
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && done());
  });
}

function firstFrame(video, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no video within " + ms + " ms")), ms);
    const check = () => {
      if (video.videoWidth > 0 && video.readyState >= 2) { clearTimeout(t); resolve(); }
      else setTimeout(check, 100);
    };
    check();
  });
}

export class LiveClient extends EventTarget {
  constructor(video, { transport = "auto", firstFrameTimeout = 8000 } = {}) {
    super();
    this.video = video;
    this.preferred = transport;
    this.firstFrameTimeout = firstFrameTimeout;
    this.transport = null;
    this.details = null;
    this.closed = false;
    this._pending = [];
    this._sources = [];
    this._captions = new Set();
  }

  /** ``getDetails`` returns fresh connection details (a new session) each call. */
  async connect(getDetails) {
    const live = async (details) => {
      if (this.closed) throw new Error("closed before connecting");
      return details;
    };
    let details = null;
    if (this.preferred !== "websocket" && "RTCPeerConnection" in window) {
      try {
        details = await live(await getDetails());
        await this._webrtc(details);
        await live();
        return this._connected("webrtc");
      } catch (err) {
        this._teardown();
        if (this.preferred === "webrtc" || this.closed) throw err;
        console.warn("WebRTC failed, falling back to WebSocket:", err);
      }
    }
    // The fallback joins the same session with the one-time resume token of the WebRTC answer
    // (the connect token itself works once), so no orphan session is left behind; only if that
    // session is gone is a new one requested.
    if (details) {
      try {
        await this._websocket(await live(details), this.resumeToken || details.token);
        return this._connected("websocket");
      } catch (err) {
        if (this.closed) throw err;
        this._teardown();
      }
    }
    await this._websocket(await live(await getDetails()));
    return this._connected("websocket");
  }

  _connected(kind) {
    this.transport = kind;
    this.dispatchEvent(new CustomEvent("transport", { detail: kind }));
    return kind;
  }

  _emit(data) {
    // Captions arrive as soon as a sentence is synthesised; show each when it starts playing.
    if (data.type === "caption" && data.start !== undefined && data.t !== undefined) {
      const delay = Math.max(0, (data.start - data.t) * 1000);
      if (delay > 30) {
        const timer = setTimeout(() => { this._captions.delete(timer); this._dispatch(data); }, delay);
        this._captions.add(timer);
        return;
      }
    }
    if (data.type === "interrupted" || data.type === "closed") {
      for (const timer of this._captions) clearTimeout(timer);
      this._captions.clear();
    }
    this._dispatch(data);
  }

  _dispatch(data) {
    if (data.type === "interrupted") this._flushAudio();
    if (data.type === "closed") this.closed = true;
    this.dispatchEvent(new CustomEvent("event", { detail: data }));
  }

  send(message) {
    const text = JSON.stringify(message);
    if (this.dc) {
      if (this.dc.readyState === "open") this.dc.send(text);
      else this._pending.push(text);
    } else if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
    else this._pending.push(text);
  }

  sendText(text) { this.send({ type: "text", text }); }
  interrupt() { this.send({ type: "interrupt" }); }

  // -- WebRTC -------------------------------------------------------------------------------
  async _webrtc(details) {
    this.details = details;
    // STUN/TURN servers from the server's settings (connection details), so WebRTC works
    // beyond a LAN; "relay" forces media through the TURN server
    const pc = (this.pc = new RTCPeerConnection({
      iceServers: details.webrtc.iceServers || [],
      iceTransportPolicy: details.webrtc.iceTransportPolicy || "all",
    }));
    pc.addTransceiver("video", { direction: "recvonly" });
    this.audioTx = pc.addTransceiver("audio", { direction: "sendrecv" });
    const dc = (this.dc = pc.createDataChannel("kinema"));
    dc.onopen = () => { for (const m of this._pending.splice(0)) dc.send(m); };
    dc.onmessage = (e) => this._emit(JSON.parse(e.data));
    const stream = new MediaStream();
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      this.video.srcObject = stream;
      this.video.play().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await waitIce(pc, 2500);
    // the token goes in a header, never in the URL (URLs land in access logs)
    const res = await fetch(details.webrtc.offerUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${details.token}` },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, type: pc.localDescription.type }),
    });
    const answer = await res.json();
    if (!res.ok) throw new Error(answer.error || "WebRTC signalling failed");
    this.resumeToken = answer.resumeToken; // one WebSocket fallback into this session
    await pc.setRemoteDescription({ sdp: answer.sdp, type: answer.type });
    await firstFrame(this.video, this.firstFrameTimeout);
  }

  // -- WebSocket ------------------------------------------------------------------------------
  async _websocket(details, token = details.token) {
    this.details = details;
    this.dc = null;
    const canvas = (this.canvas = document.createElement("canvas"));
    canvas.width = canvas.height = 512;
    this.ctx2d = canvas.getContext("2d");
    this.video.srcObject = canvas.captureStream(30);
    this.video.muted = true; // audio comes through Web Audio below
    this.video.play().catch(() => {});
    this.audio = new (window.AudioContext || window.webkitAudioContext)({ sampleRate: 48000 });
    this.audio.resume().catch(() => {});
    // the token travels as a subprotocol (browsers set no headers on a WebSocket), not in the URL
    const ws = (this.ws = new WebSocket(details.url, [details.protocol || "kinema-live-1", `token.${token}`]));
    ws.binaryType = "arraybuffer";
    let hello = false; // the server's "session" message: the session is ours
    await new Promise((resolve, reject) => {
      ws.onmessage = (e) => {
        if (typeof e.data !== "string") return this._media(e.data);
        const data = JSON.parse(e.data);
        if (!hello && data.type === "error") { ws.onclose = null; ws.close(); reject(new Error(data.message)); return; }
        if (data.type === "session") { hello = true; resolve(); }
        this._emit(data);
      };
      ws.onopen = () => { for (const m of this._pending.splice(0)) ws.send(m); };
      ws.onerror = () => reject(new Error("WebSocket connection failed"));
      ws.onclose = () => { if (!hello) reject(new Error("WebSocket closed before the session started")); };
    });
    ws.onclose = () => { if (!this.closed) this._emit({ type: "closed", reason: "disconnected" }); };
  }

  async _media(buffer) {
    const view = new DataView(buffer);
    const kind = view.getUint8(0);
    const pts = Number(view.getBigInt64(2)) / 1e6;
    const payload = buffer.slice(HEADER);
    if (kind === KIND_VIDEO) {
      const bitmap = await createImageBitmap(new Blob([payload], { type: "image/jpeg" }));
      if (this.canvas.width !== bitmap.width) { this.canvas.width = bitmap.width; this.canvas.height = bitmap.height; }
      this.ctx2d.drawImage(bitmap, 0, 0);
      bitmap.close();
    } else if (kind === KIND_AUDIO) {
      this._playPcm(new Int16Array(payload), pts);
    }
  }

  _playPcm(pcm, pts) {
    const ctx = this.audio;
    const samples = new Float32Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
    const buf = ctx.createBuffer(1, samples.length, 48000);
    buf.copyToChannel(samples, 0);
    if (this._base === undefined || pts < this._lastPts) this._base = ctx.currentTime + 0.08 - pts;
    this._lastPts = pts;
    const at = Math.max(ctx.currentTime, this._base + pts);
    const src = ctx.createBufferSource();
    src.buffer = buf;
    src.connect(ctx.destination);
    src.start(at);
    this._sources.push(src);
    src.onended = () => { this._sources = this._sources.filter((s) => s !== src); };
  }

  _flushAudio() {
    for (const s of this._sources) { try { s.stop(); } catch (_) {} }
    this._sources = [];
    this._base = undefined;
  }

  // -- microphone -------------------------------------------------------------------------------
  async startMic() {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    this.mic = stream;
    const track = stream.getAudioTracks()[0];
    if (this.pc) {
      await this.audioTx.sender.replaceTrack(track);
      return;
    }
    const ctx = this.audio;
    this.send({ type: "audio", rate: ctx.sampleRate });
    const source = ctx.createMediaStreamSource(stream);
    const proc = (this._proc = ctx.createScriptProcessor(2048, 1, 1));
    proc.onaudioprocess = (e) => {
      const input = e.inputBuffer.getChannelData(0);
      const out = new Int16Array(input.length);
      for (let i = 0; i < input.length; i++) out[i] = Math.max(-1, Math.min(1, input[i])) * 32767;
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(out.buffer);
    };
    source.connect(proc);
    proc.connect(ctx.destination);
    this._micSource = source;
  }

  stopMic() {
    if (this.pc && this.audioTx) this.audioTx.sender.replaceTrack(null);
    this._proc?.disconnect();
    this._micSource?.disconnect();
    this.mic?.getTracks().forEach((t) => t.stop());
    this.mic = null;
  }

  _teardown() {
    try { this.dc?.close(); } catch (_) {}
    try { this.pc?.close(); } catch (_) {}
    this.pc = this.dc = null;
    this._pending = [];
  }

  close() {
    this.stopMic();
    try { this.send({ type: "close" }); } catch (_) {}
    this._teardown();
    try { this.ws?.close(); } catch (_) {}
    this._flushAudio();
    this.audio?.close().catch(() => {});
    this.closed = true;
  }
}
