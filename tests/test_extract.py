"""The decoding of eth_getLogs answers for the audit (`extract.decode_logs_answer`): the logs JSON would
give, with their hex data as bytes; anything else exactly as JSON gives it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pa_client.chain.extract import decode_logs_answer

_WORD = "0x" + "ab" * 32


def _log(data: Any = "0x" + "00" * 31 + "2a", **extra: Any) -> dict[str, Any]:
    return {
        "address": "0x" + "11" * 20,
        "topics": [_WORD, _WORD, _WORD, _WORD],
        "data": data,
        "blockNumber": "0x1f",
        "transactionHash": "0x" + "22" * 32,
        "transactionIndex": "0x0",
        "blockHash": "0x" + "33" * 32,
        "logIndex": "0x3",
        "removed": False,
        **extra,
    }


def _answer(payload: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, **payload}).encode()


def _fields_read(log: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "address",
        "topics",
        "data",
        "blockNumber",
        "logIndex",
        "removed",
        "transactionHash",
        "blockTimestamp",
    )
    return {key: log[key] for key in keep if key in log}


@given(st.lists(st.binary(max_size=300), max_size=5), st.booleans())
def test_logs_come_with_their_data_as_bytes(datas: list[bytes], with_time: bool) -> None:
    logs = [_log("0x" + data.hex(), **({"blockTimestamp": "0x65"} if with_time else {})) for data in datas]
    decoded = decode_logs_answer(_answer({"result": logs}))["result"]
    assert [log["data"] for log in decoded] == datas
    expected = [{**_fields_read(log), "data": data} for log, data in zip(logs, datas, strict=True)]
    assert decoded == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"0xzz"', "0xzz"),
        ('"0x123"', "0x123"),  # odd length
        ('""', ""),
        ('"12"', "12"),
        ("12", 12),
        ("null", None),
        ('["0x00"]', ["0x00"]),
        ('"\\u0030x00"', "0x00"),  # valid JSON for "0x00", escaped: decoded as JSON decodes it
    ],
)
def test_data_that_is_not_plain_hex_text_is_left_as_json_gives_it(text: str, value: Any) -> None:
    content = _answer({"result": [_log("PLACEHOLDER")]}).replace(b'"PLACEHOLDER"', text.encode())
    (log,) = decode_logs_answer(content)["result"]
    assert log["data"] == value == json.loads(content)["result"][0]["data"]


@pytest.mark.parametrize(
    "payload",
    [
        {"result": [_log(topics="0xab")]},  # topics of another type
        {"result": [_log(blockNumber=31)]},  # a number where hex text is the rule
        {"result": [{"topics": [], "data": "0x"}]},  # fields missing
        {"result": None},
        {"result": "nothing"},
        {"error": {"code": -32005, "message": "query returned more than 10000 results"}},
    ],
)
def test_an_answer_of_another_shape_is_decoded_as_plain_json(payload: dict[str, Any]) -> None:
    content = _answer(payload)
    assert decode_logs_answer(content) == json.loads(content)


def test_text_that_is_not_json_raises_value_error_to_be_tried_again() -> None:
    with pytest.raises(ValueError):
        decode_logs_answer(b'{"jsonrpc": "2.0", "id": 1, "result": [{"topics": ')
