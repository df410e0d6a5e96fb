"""The one JSON-RPC transport: what it tries again and how often, through a fault-injecting proxy in
front of the session's Anvil. web3 goes through it too, and retries nothing on top of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.chain import AnvilNode
from support.rpc_proxy import Faults, rpc_proxy
from web3 import Web3

from pa_client.chain import rpc
from pa_client.chain.accounts import dev_account, resolve_account
from pa_client.chain.provider import TransportProvider
from pa_client.chain.sender import Sender, connect
from pa_client.chain.transport import RETRY, RequestRefusedError, RetryPolicy, Transport, redact, redact_urls
from pa_client.cli import main
from pa_client.errors import AccountError, ChainError
from pa_client.settings import Settings
from pa_client.web import errors as web_errors

FAST = RetryPolicy(tries=RETRY.tries, first_delay=0.01)


def test_a_node_that_is_gone_is_asked_as_often_as_the_policy_says_then_chain_error(anvil: AnvilNode) -> None:
    with rpc_proxy(anvil.rpc_url, Faults(down=True)) as proxy:
        with pytest.raises(
            ChainError, match=rf"read the head: the node did not answer after {RETRY.tries} tries"
        ):
            Transport(proxy.url, retry=FAST).request("eth_blockNumber", [], what="read the head")
        assert proxy.counts["requests"] == RETRY.tries


def test_web3_through_the_transport_retries_nothing_on_top_of_it(anvil: AnvilNode) -> None:
    """A read of the sender when the node is gone: web3's own retries stacked under the client's made
    up to 25 requests of it."""
    with rpc_proxy(anvil.rpc_url) as proxy:
        sender = Sender(connect(proxy.url), dev_account("holder"))
        proxy.faults = Faults(down=True)
        before = proxy.counts["requests"]
        with pytest.raises(ChainError, match="did not answer after"):
            sender.fees()
        assert proxy.counts["requests"] - before == RETRY.tries


def test_dropped_connections_and_cut_answers_are_tried_again_until_answered(anvil: AnvilNode) -> None:
    expected = Web3(Web3.HTTPProvider(anvil.rpc_url)).eth.chain_id
    # Each fault strikes the first two requests (a probability of 2 halved before forwarding is 1).
    for faults in (
        Faults(drop=2.0, budget=2),
        Faults(cut_body=1.0, budget=2),
        Faults(http_error=2.0, budget=2),
    ):
        with rpc_proxy(anvil.rpc_url, faults) as proxy:
            answer = Transport(proxy.url, retry=FAST).request("eth_chainId", [], what="read the chain id")
            assert int(answer, 16) == expected
            struck = sum(
                n for kind, n in proxy.counts.items() if kind not in ("requests", "method eth_chainId")
            )
            assert (struck, proxy.counts["requests"]) == (2, 3), proxy.counts


def test_a_refusal_is_final_at_once(anvil: AnvilNode) -> None:
    """A node that answered and said no (a JSON-RPC error, HTTP 401) is not asked again."""
    with rpc_proxy(anvil.rpc_url, Faults(refuse_prefixes=("anvil_",))) as proxy:
        with pytest.raises(RequestRefusedError, match=r"mine a block: .*does not exist"):
            Transport(proxy.url, retry=FAST).request("anvil_mine", [], what="mine a block")
        assert proxy.counts["requests"] == 1
    with rpc_proxy(anvil.rpc_url, Faults(bearer="s3cret")) as proxy:
        with pytest.raises(ChainError, match="answered HTTP 401"):
            Transport(proxy.url, retry=FAST).request("eth_chainId", [], what="read the chain id")
        assert proxy.counts["refused: no valid bearer token"] == 1
        assert int(Transport(proxy.url, token="s3cret").request("eth_chainId", [], what="read"), 16) > 0


def test_a_batch_answers_in_the_order_asked_and_fails_whole(anvil: AnvilNode) -> None:
    transport = Transport(anvil.rpc_url)
    head = int(transport.request("eth_blockNumber", [], what="head"), 16)
    numbers = list(range(head, -1, -1))[:5]
    calls: list[tuple[str, list[object]]] = [("eth_getBlockByNumber", [hex(n), False]) for n in numbers]
    blocks = transport.batch(calls, what="read blocks")
    assert [int(b["number"], 16) for b in blocks] == numbers
    with pytest.raises(RequestRefusedError, match="read blocks"):
        transport.batch([*calls, ("no_such_method", [])], what="read blocks")


def test_the_client_connects_through_the_transport(anvil: AnvilNode) -> None:
    w3 = connect(anvil.rpc_url)
    assert isinstance(w3.provider, TransportProvider)
    assert rpc.transport_of(w3) is w3.provider.transport
    # web3 objects made elsewhere (Ape's, a test's) get one transport for their provider.
    other = Web3(Web3.HTTPProvider(anvil.rpc_url))
    assert rpc.transport_of(other) is rpc.transport_of(other)
    assert int(rpc.request(other, "eth_chainId", [], what="read"), 16) == w3.eth.chain_id


def test_credentials_in_a_url_never_reach_a_message() -> None:
    assert redact("http://alice:S3cretPW@node.example:8545/rpc?x=1") == "http://node.example:8545/rpc?x=1"
    assert redact("http://node.example:8545") == "http://node.example:8545"
    with pytest.raises(ChainError) as refused:
        connect("http://alice:S3cretPW@127.0.0.1:9/", timeout=0.5)
    assert "S3cretPW" not in str(refused.value) and "alice" not in str(refused.value)


def test_credentials_in_a_library_s_message_about_a_url_are_taken_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """requests names an invalid URL whole ("Invalid URL 'http://alice:S3cretPW@'"); neither the
    error `pa` prints nor its warnings, nor the development account's refusal, give the password."""
    assert redact_urls("Invalid URL 'http://alice:S3cretPW@': No host") == "Invalid URL 'http://': No host"
    assert (
        redact_urls("at https://u:p@a.example/x and ws://b.example")
        == "at https://a.example/x and ws://b.example"
    )
    code = main(["--rpc-url", "http://alice:S3cretPW@", "--data-dir", str(tmp_path), "audit"])
    out, err = capsys.readouterr()
    assert code == 1 and "no chain answers" in err
    assert "S3cretPW" not in out + err and "alice" not in out + err
    remote = Settings(rpc_url="http://alice:S3cretPW@node.example:8545", account="holder")
    with pytest.raises(AccountError) as refused:
        resolve_account(remote, chain_id=1)
    assert "node.example:8545" in str(refused.value) and "S3cretPW" not in str(refused.value)


def test_the_web_server_answers_no_password_of_a_url() -> None:
    assert "S3cretPW" not in web_errors.detail_of(ChainError("Invalid URL 'http://alice:S3cretPW@'"))
