"""`assistant serve`: the assistant as an OpenAI-compatible HTTP API that keeps its checked citations.

    request.py       the chat request, validated; errors in OpenAI's JSON shape
    conversation.py  follow-ups resolved against earlier turns and the papers they cited
    shape.py         an Answer as an OpenAI response: sources, citations, url_citation annotations,
                     stream chunks and Open WebUI source events
    gate.py          one model, one answer at a time: a bounded queue (429 past it) and a worker
                     thread whose generator is closed as soon as its client goes away
    app.py           the ASGI app (FastAPI) and `serve()`

Not a general OpenAI server: no tools, no n > 1, no logprobs, no embeddings endpoint.
"""
