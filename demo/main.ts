// Placeholder page: proves the page is built by Vite and served by the emulator.
const status = document.getElementById("status");
fetch("./healthz")
  .then((res) => res.json() as Promise<{ status: string }>)
  .then((body) => {
    if (status) status.textContent = body.status === "ok" ? "Emulator: running." : "Emulator: unexpected answer.";
  })
  .catch(() => {
    if (status) status.textContent = "Emulator: not reachable.";
  });
