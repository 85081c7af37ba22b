"""Resemblance during training: the score on constructed pictures whose answers are known (the
asked character, another one, both, overlapping, nobody), then on tiny random models: scored at
the set interval and at the last step, sent as events, the best step's LoRA kept with its step
and score, the training itself untouched, and a cancelled and resumed run keeping the same best."""

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from anim2lora.errors import CancelledError
from anim2lora.train.loop import train
from anim2lora.train.report import train_report
from anim2lora.train.settings import TrainSettings
from anim2lora.verdict.score import PENALTY, ResemblanceScorer

from test_train_loop import FAST, _CancelAt
from test_verdict import bgr_scene, figures, stills
from trainkit import drawn_dataset, tiny_backend


def rgb(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgr[..., ::-1])


@pytest.fixture(scope="module")
def scorer():
    return ResemblanceScorer({"A": stills("A"), "B": stills("B")})


def test_the_score_is_resemblance_to_the_asked_characters_less_each_fault(scorer):
    blank = np.full((360, 480, 3), 255, np.uint8)
    judged = scorer([("A", rgb(figures(("A", 0.6)))), ("B", rgb(figures(("A", 0.6)))),
                     ("A+B", rgb(bgr_scene("both"))), ("B+A", rgb(bgr_scene("overlap"))), ("A", blank),
                     ("C", rgb(figures(("A", 0.6))))])
    groups = judged["groups"]
    assert list(groups) == ["A", "B", "A+B", "B+A"], "the blank A replaces the first; C has no references"
    # drawn as asked: its resemblance, no fault
    both = groups["A+B"]
    assert both["drawn"] == "A+B" and both["faults"] == []
    assert both["score"] == pytest.approx((both["resemblance"]["A"] + both["resemblance"]["B"]) / 2, abs=1e-4)
    assert both["score"] > 0.8
    # asked B, A drawn: B's resemblance is A's nearness to B, less the bleed
    bleed = groups["B"]
    assert bleed["drawn"] == "A" and bleed["faults"] == ["bleed"]
    assert bleed["score"] == pytest.approx(max(0.0, bleed["resemblance"]["B"] - PENALTY), abs=1e-4)
    # overlapping bodies are fused, whatever they resemble
    assert "fused" in groups["B+A"]["faults"] and groups["B+A"]["drawn"] == "fused"
    assert groups["B+A"]["score"] < both["score"] - PENALTY + 1e-4
    # nobody drawn: nothing resembles, and the count is wrong
    assert groups["A"] == {"score": 0.0, "resemblance": {"A": None}, "characters": 0, "drawn": "neither",
                           "faults": ["count"]}
    assert judged["score"] == pytest.approx(sum(g["score"] for g in groups.values()) / 4, abs=1e-4)


def test_a_picture_of_the_asked_character_scores_above_one_of_the_other(scorer):
    a = scorer([("A", rgb(figures(("A", 0.6))))])["groups"]["A"]
    b = scorer([("A", rgb(figures(("B", 0.6))))])["groups"]["A"]
    assert a["faults"] == [] and a["score"] > 0.7
    assert "bleed" in b["faults"] and b["score"] < a["score"] - PENALTY


def _settings(**kw):
    return TrainSettings(**{**FAST, "unet_lr": 1e-3, "text_encoder_lr": 1e-3, **kw})


def _tensors(path):
    return load_file(str(path))


def test_resemblance_is_scored_every_n_steps_sent_live_and_the_best_step_kept(tmp_path, scorer):
    events = []
    backend = tiny_backend()
    flags = {}

    def on_event(event):
        events.append(event)
        if "loss" in event:
            flags["step"] = (torch.random.get_rng_state(), backend.unet.training, backend.text_encoder.training)
        if "score" in event:        # scoring is done: the randomness and the modes are as the step left them
            rng, unet, te = flags["step"]
            assert torch.equal(torch.random.get_rng_state(), rng)
            assert (backend.unet.training, backend.text_encoder.training) == (unet, te) == (True, True)
            assert {p.device.type for p in backend.unet.parameters()} == {"cpu"}

    lora = tmp_path / "loras" / "mine.safetensors"
    result = train(backend, drawn_dataset(tmp_path / "d"), _settings(score_every_n_steps=4), lora, scorer=scorer,
                   on_event=on_event)
    assert result.total_steps == 9
    assert [e["step"] for e in result.scores] == [4, 8, 9], "every 4 steps, and the last"
    sent = [e for e in events if "score" in e]
    assert [(e["step"], e["score"], e["total"]) for e in sent] == [(e["step"], e["score"], 9) for e in result.scores]
    assert set(sent[0]["groups"]) == {"A", "A+B"}
    assert all(set(g) == {"score", "resemblance", "characters", "drawn", "faults"} for g in sent[0]["groups"].values())
    # an event comes after its step's own (the chart draws the score on that step)
    order = [("score" if "score" in e else "loss", e["step"]) for e in events]
    assert order.index(("score", 4)) == order.index(("loss", 4)) + 1

    best = result.best
    top = max(e["score"] for e in result.scores)
    assert best["score"] == top and best["step"] == next(e["step"] for e in result.scores if e["score"] == top)
    assert best["lora"] == lora.with_name("mine_best.safetensors") and best["lora"].is_file() and lora.is_file()
    with safe_open(str(best["lora"]), "pt") as f:
        meta = f.metadata()
    assert meta["anim2lora_best_step"] == meta["ss_steps"] == str(best["step"])
    assert float(meta["anim2lora_best_score"]) == best["score"]
    assert set(json.loads(meta["anim2lora_best_groups"])) == {"A", "A+B"}
    report = train_report(result, _settings(score_every_n_steps=4))
    assert f"best: mine_best.safetensors at step {best['step']}" in report and "4: " in report


class InkScorer:
    """A measure of the drawn pictures that moves with every step (the share of dark pixels), for
    the loop's bookkeeping: the tiny model draws nobody the analyzers can find, so resemblance
    gives it 0 at every step (the test above)."""

    def judged(self, group):
        return True

    def __call__(self, pictures):
        groups = {g: {"score": round(float((p.mean(axis=-1) < 128).mean()), 6)} for g, p in pictures}
        return {"score": round(sum(g["score"] for g in groups.values()) / len(groups), 6), "groups": groups}


def test_the_best_file_holds_the_best_steps_weights_and_scoring_leaves_the_training_alone(tmp_path):
    dataset = drawn_dataset(tmp_path / "d")
    plain = train(tiny_backend(), dataset, _settings(), tmp_path / "plain" / "p.safetensors")
    scored = train(tiny_backend(), dataset, _settings(score_every_n_steps=2), tmp_path / "scored" / "s.safetensors",
                   scorer=InkScorer())
    assert scored.losses == plain.losses
    final, same = _tensors(plain.lora), _tensors(scored.lora)
    assert final.keys() == same.keys() and all(torch.equal(final[k], same[k]) for k in final), \
        "the same seed gives the same LoRA with scoring on"
    scores = [e["score"] for e in scored.scores]
    assert [e["step"] for e in scored.scores] == [2, 4, 6, 8, 9] and len(set(scores)) > 1, scores
    best = scores.index(max(scores))
    assert scored.best["step"] == scored.scores[best]["step"]
    # the weights of that step: a run that stops there (constant learning rate) ends on them
    there = train(tiny_backend(), dataset, _settings(max_steps=scored.best["step"]), tmp_path / "there" / "t.safetensors")
    kept, expected = _tensors(scored.best["lora"]), _tensors(there.lora)
    assert all(torch.equal(kept[k], expected[k]) for k in expected)


def test_a_cancelled_and_resumed_run_keeps_the_same_best(tmp_path):
    dataset = drawn_dataset(tmp_path / "d")
    settings = _settings(score_every_n_steps=2)
    whole = train(tiny_backend(), dataset, settings, tmp_path / "whole" / "w.safetensors", scorer=InkScorer())

    lora, state = tmp_path / "loras" / "r.safetensors", tmp_path / "state"
    with pytest.raises(CancelledError):     # stopped at step 4 before scoring it
        train(tiny_backend(), dataset, settings, lora, state_dir=state, progress=_CancelAt(4), scorer=InkScorer())
    assert json.loads((state / "state.json").read_text())["scoring"]["history"][-1]["step"] == 2
    resumed = train(tiny_backend(), dataset, settings, lora, state_dir=state, scorer=InkScorer())
    assert resumed.resumed_from == 4
    assert [(e["step"], e["score"]) for e in resumed.scores] == [(e["step"], e["score"]) for e in whole.scores]
    assert (resumed.best["step"], resumed.best["score"]) == (whole.best["step"], whole.best["score"])
    kept, unbroken = _tensors(resumed.best["lora"]), _tensors(whole.best["lora"])
    assert all(torch.equal(kept[k], unbroken[k]) for k in unbroken)


def test_scoring_without_references_says_so_and_writes_no_best_file(tmp_path):
    lora = tmp_path / "loras" / "n.safetensors"
    result = train(tiny_backend(), drawn_dataset(tmp_path / "d"), _settings(score_every_n_steps=2, max_steps=2), lora)
    assert result.scores == [] and result.best is None
    assert any("no reference stills" in n for n in result.notes)
    assert not lora.with_name("n_best.safetensors").exists()


def test_a_foreign_file_of_the_best_name_is_never_overwritten(tmp_path):
    from safetensors.torch import save_file

    lora = tmp_path / "loras" / "f.safetensors"
    lora.parent.mkdir(parents=True)
    foreign = lora.with_name("f_best.safetensors")
    save_file({"x": torch.zeros(1)}, str(foreign), metadata={"ss_training_comment": "someone else"})
    before = foreign.read_bytes()
    result = train(tiny_backend(), drawn_dataset(tmp_path / "d"), _settings(score_every_n_steps=1, max_steps=3),
                   lora, scorer=InkScorer())
    assert foreign.read_bytes() == before
    assert result.best["lora"].name == "f_best-anim2lora.safetensors" and result.best["lora"].is_file()
    assert sum("f_best.safetensors exists" in n for n in result.notes) == 1


# -- what the scored pictures are decoded with ---------------------------------------------------------

class LatentFormat:
    """The two things of a ComfyUI latent format the backend reads: its scale (process_out) and
    its live preview's RGB factors (any four; the preview is compared against the VAE)."""

    def __init__(self, scale: float):
        self.scale = scale
        self.latent_rgb_factors = [[0.3, 0.2, 0.2], [-0.2, 0.2, 0.2], [0.2, -0.1, 0.4], [-0.2, -0.3, -0.4]]
        self.latent_rgb_factors_bias = None

    def process_out(self, latents):
        return latents / self.scale


def _host_decode(vae, raw):
    """What the bridge's decode gives: the VAE's pictures of raw latents, in 0..1."""
    return ((vae.decode(raw).sample + 1) / 2).clamp(0, 1)


def test_the_host_backends_pictures_are_its_vaes_decode_and_only_without_a_vae_the_preview():
    from anim2lora.train.comfy_backend import preview_pictures, vae_pictures

    backend = tiny_backend()
    latents = torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(3))
    fmt = LatentFormat(backend.vae.config.scaling_factor)
    pictures = vae_pictures(_host_decode, backend.vae, fmt, latents)
    # the same pictures the diffusers backend's VAE decode draws from the same scaled latents
    assert pictures.shape == (1, 3, 64, 64) and pictures.dtype == torch.float32
    assert torch.allclose(pictures, backend.decode_latents(latents), atol=1e-6)
    preview = preview_pictures(fmt, latents)
    assert preview.shape == pictures.shape and (preview - pictures).abs().mean() > 0.05


def test_a_vae_that_draws_nan_stops_the_run_naming_its_precision():
    from anim2lora.errors import TrainingError
    from anim2lora.train.comfy_backend import vae_pictures

    class HalfVae:
        vae_dtype = torch.float16

    with pytest.raises(TrainingError) as caught:
        vae_pictures(lambda vae, raw: torch.full((1, 3, 64, 64), float("nan")), HalfVae(), LatentFormat(0.13025),
                     torch.zeros((1, 4, 8, 8)))
    assert "float16" in str(caught.value) and "--fp16-vae" in caught.value.hint


def test_the_drawn_pictures_are_decoded_outside_the_runs_autocast():
    from anim2lora.sample.ddim import ddim_batch

    backend = tiny_backend()
    seen = []
    backend.vae.decoder.conv_in.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        unet_dtype = backend.unet(torch.zeros((1, 4, 8, 8)), torch.tensor([1]),
                                  backend.encode_text(["A"], 1)).sample.dtype
        ddim_batch(backend, "A, lineart", size=(64, 64), seed=0, steps=2, clip_skip=1)
    assert unet_dtype == torch.bfloat16, "the autocast is on for the UNet"
    assert seen == [torch.float32], "and off for the VAE (SDXL's overflows in half precision)"


def test_a_run_that_draws_without_a_vae_says_so_in_its_report(tmp_path, scorer):
    note = "no VAE was given: the pictures are the preview"
    backend = tiny_backend()
    backend.decode_note = note
    dataset = drawn_dataset(tmp_path / "d")
    settings = _settings(score_every_n_steps=2, max_steps=2)
    scored = train(backend, dataset, settings, tmp_path / "s.safetensors", scorer=scorer)
    assert [e["step"] for e in scored.scores] == [2]
    assert scored.notes.count(note) == 1 and f"NOTE {note}" in train_report(scored, settings)
    quiet = tiny_backend()
    quiet.decode_note = note
    plain = train(quiet, dataset, _settings(max_steps=1), tmp_path / "p.safetensors")
    assert note not in plain.notes, "a run that draws nothing has no such note"
