// Sign-In with Ethereum through the browser's wallet (EIP-1193 `window.ethereum`): ask the server
// for a one-time message, have the wallet sign it (personal_sign), and open the session.
(function () {
  "use strict";
  var button = document.getElementById("wallet-sign-in");
  var status = document.getElementById("wallet-status");
  if (!button) { return; }
  if (!window.ethereum) {
    document.getElementById("wallet-panel").hidden = true;
    return;
  }
  function say(text) { status.textContent = text; }
  function toHex(text) {
    var bytes = new TextEncoder().encode(text);
    var out = "0x";
    for (var i = 0; i < bytes.length; i++) { out += bytes[i].toString(16).padStart(2, "0"); }
    return out;
  }
  async function post(url, body) {
    var response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    var data = await response.json().catch(function () { return {}; });
    if (!response.ok) { throw new Error(data.detail || ("HTTP " + response.status)); }
    return data;
  }
  button.addEventListener("click", async function () {
    button.disabled = true;
    try {
      var accounts = await window.ethereum.request({ method: "eth_requestAccounts" });
      var address = accounts[0];
      say(address);
      var challenge = await post("/api/v1/auth/challenge", { address: address });
      var signature = await window.ethereum.request({
        method: "personal_sign",
        params: [toHex(challenge.message), address],
      });
      await post("/api/v1/auth/session", { message: challenge.message, signature: signature });
      window.location.assign(button.getAttribute("data-next") || "/");
    } catch (error) {
      say(String(error && error.message ? error.message : error));
      button.disabled = false;
    }
  });
})();
