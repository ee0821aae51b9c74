// Preloaded (node --import) into the API the harness runs from dist/: the process shuts down as on
// SIGTERM when the harness goes away (its IPC channel closes), so a crashed run leaves no server.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
