// One WebSocket to the engine: hello, subscribe, frames; reconnects with back-off when it drops.

import { decodeBinaryFrame } from "./protocol.js";

export class StreamConnection {
  /**
   * @param {string} url WebSocket URL (with ?token= when the server is beyond loopback)
   * @param {(hello: object) => string[]} chooseChannels channels to subscribe to, given hello
   * @param {{onFrame: Function, onStatus: Function}} handlers
   */
  constructor(url, chooseChannels, handlers) {
    this.url = url;
    this.chooseChannels = chooseChannels;
    this.handlers = handlers;
    this.retryMs = 250;
    this.connections = 0;
  }

  open() {
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      this.connections += 1;
      this.retryMs = 250;
    };
    socket.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) {
        this.handlers.onFrame(decodeBinaryFrame(event.data));
        return;
      }
      const message = JSON.parse(event.data);
      if (message.type === "hello") {
        this.handlers.onStatus("connected", message);
        const channels = this.chooseChannels(message);
        socket.send(JSON.stringify({ type: "subscribe", channels, format: "binary" }));
      } else if (message.type === "error") {
        this.handlers.onStatus(`error: ${message.code}`, message);
      } else if (message.type === "end") {
        this.handlers.onStatus("stream ended", message);
      }
    };
    socket.onclose = () => {
      this.handlers.onStatus(`disconnected, retrying in ${(this.retryMs / 1000).toFixed(1)} s`);
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  }
}
