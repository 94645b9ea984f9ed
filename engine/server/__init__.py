"""WebSocket parameter stream: protocol v1 server."""
