// Lodging the bill of discharge from the browser's wallet (EIP-1193 `window.ethereum`): the server
// gives the unsigned `lodgeBill` call of the bill shown; the wallet signs and sends it; once its
// block is in the served audit, the page reloads and shows the bill lodged. The server holds no key
// of a person. Without a wallet, the page shows the command that does the same.
(function () {
  "use strict";
  var panel = document.getElementById("lodge-panel");
  if (!panel) { return; }
  var button = document.getElementById("lodge-bill");
  var status = document.getElementById("lodge-status");
  var labels = JSON.parse(document.getElementById("lodge-labels").textContent);
  if (!window.ethereum) { return; }
  button.hidden = false;
  function say(text) { status.textContent = text; }
  function pause(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }
  async function transaction() {
    var response = await fetch(panel.dataset.url, { credentials: "same-origin" });
    var data = await response.json().catch(function () { return {}; });
    if (!response.ok) { throw new Error(data.detail || ("HTTP " + response.status)); }
    return data;
  }
  button.addEventListener("click", async function () {
    button.disabled = true;
    try {
      var call = await transaction();
      if (!call.lodged) {
        var chain = await window.ethereum.request({ method: "eth_chainId" });
        if (parseInt(chain, 16) !== call.chain_id) {
          throw new Error("the wallet is on chain " + parseInt(chain, 16) + ", the ledger on chain " + call.chain_id);
        }
        var accounts = await window.ethereum.request({ method: "eth_requestAccounts" });
        var hash = await window.ethereum.request({
          method: "eth_sendTransaction",
          params: [{ from: accounts[0], to: call.to, data: call.data }],
        });
        say(labels.sent);
        var receipt = null;
        for (var i = 0; i < 240 && !receipt; i++) {
          receipt = await window.ethereum.request({ method: "eth_getTransactionReceipt", params: [hash] });
          if (!receipt) { await pause(500); }
        }
        if (!receipt) { throw new Error("transaction " + hash + " not in a block after 2 minutes"); }
        if (receipt.status !== "0x1") { throw new Error("transaction " + hash + " reverted"); }
      }
      for (var j = 0; j < 120; j++) {  // until the served audit counts the lodging
        call = await transaction();
        if (call.audited) { window.location.reload(); return; }
        await pause(500);
      }
      throw new Error("lodged, but the dashboard has not read its block yet: reload the page shortly");
    } catch (error) {
      say(labels.failed + " " + (error && error.message ? error.message : String(error)));
      button.disabled = false;
    }
  });
})();
