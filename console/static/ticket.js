// Reveals a full ID or phone number on request; the server writes each reveal to the audit log.
document.querySelectorAll("button.reveal").forEach(button => {
  button.addEventListener("click", async () => {
    const form = new URLSearchParams({ field: button.dataset.field, csrf: button.dataset.csrf });
    const response = await fetch(`/agent/tickets/${button.dataset.ticket}/reveal`, { method: "POST", body: form, credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    document.getElementById(`${data.field}-value`).textContent = data.value;
    button.remove();
  });
});
