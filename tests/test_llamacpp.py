"""The in-process llama.cpp backend with the real model: the model lock and the one private-API seam."""

from __future__ import annotations

import inspect
import re
import threading

import llama_cpp
import pytest

from assistant.llm import llamacpp
from assistant.llm.base import Usage, complete

pytestmark = pytest.mark.slow
MESSAGES = [{"role": "user", "content": "Count from one to twenty in words."}]


def _free_within(lock: threading.Lock, seconds: float) -> bool:
    """Whether another thread gets the lock in time (it is released again at once)."""
    got: list[bool] = []
    t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=seconds)) or (got[-1] and lock.release()))
    t.start()
    t.join()
    return got[0]


def test_a_stream_abandoned_in_a_with_block_releases_the_model_at_once(fast_llm):
    with fast_llm.stream(MESSAGES, max_tokens=40, temperature=0.0) as pieces:
        assert next(pieces)
        assert not _free_within(fast_llm.lock, 0.2)  # held while the generation is open
    kept = pieces  # the reader still holds it: only closing, not garbage collection, can free the model
    assert _free_within(fast_llm.lock, 1.0)
    assert complete(fast_llm, MESSAGES, max_tokens=8, temperature=0.0)  # the next generation runs
    del kept


def test_a_finished_stream_fills_usage_and_frees_the_model(fast_llm):
    usage = Usage()
    text = "".join(fast_llm.stream(MESSAGES, max_tokens=12, temperature=0.0, usage=usage))
    assert text and usage.completion_tokens > 0 and usage.prompt_tokens > 0 and usage.generate_ms > 0
    assert _free_within(fast_llm.lock, 1.0)


def test_the_private_api_seam_is_two_functions_written_for_0_3_36(fast_llm):
    # perf_context() and second_context() are the only reaches past the chat API; after an llama-cpp-python
    # upgrade check they still work
    assert llama_cpp.__version__ == "0.3.36", "perf_context() was written for llama-cpp-python 0.3.36: re-check it"
    assert llamacpp.perf_context(fast_llm.llm) is not None
    assert llama_cpp.llama_perf_context(llamacpp.perf_context(fast_llm.llm)).n_eval >= 0
    with fast_llm.lock:  # a second context on the same loaded model: its own cache, the first one's left alone
        first = fast_llm.llm
        second = llamacpp.second_context(first)
        assert second.model == first.model and second.ctx != first.ctx
        kept = first.input_ids[: first.n_tokens].tolist()
        second.eval(first.tokenize(b"A second context reads this."))
        assert second.n_tokens > 0 and first.input_ids[: first.n_tokens].tolist() == kept
    source = inspect.getsource(llamacpp)
    assert not re.search(r"\.llm\._", source)  # no private attribute of the Llama object


def test_first_bias_moves_only_the_first_token(fast_llm):
    question = [{"role": "user", "content": "Is the sky blue on a clear day? Begin with Yes or No."}]
    plain = complete(fast_llm, question, max_tokens=12, temperature=0.0)
    opened = "Yes" if plain.lstrip().startswith("Yes") else "No"
    assert plain.lstrip().startswith(opened), plain
    other = "No" if opened == "Yes" else "Yes"
    pushed = complete(fast_llm, question, max_tokens=12, temperature=0.0, first_bias={other: 100.0})
    assert pushed.lstrip().startswith(other), pushed
    # only the opening token is pushed: were every position biased, the reply would be "No No No ..."
    assert pushed.count(other) < 3, pushed
