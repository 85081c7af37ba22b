// TrainLoRA's live loss chart, with resemblance scores on a 0-1 scale at the right: pure maths
// and drawing on a <canvas>. Exports only; anim2lora.js feeds it from the "anim2lora.train"
// server events and from ui.a2l_losses and ui.a2l_scores.
import { formatSeconds } from "./a2l_util.js";

/** Exponential moving average with bias correction (TensorBoard's smoothing); same length. */
export function smooth(values, weight = 0.9) {
  const out = [];
  let last = 0;
  values.forEach((v, i) => {
    last = last * weight + (1 - weight) * v;
    out.push(last / (1 - weight ** (i + 1)));
  });
  return out;
}

function range(values) {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5 * Math.abs(lo || 1), hi + 0.5 * Math.abs(hi || 1)];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** The best resemblance so far, for the status line ("" when nothing was scored). */
export function bestLine(state) {
  const b = state.best;
  return b ? ` · best resemblance ${b.score.toFixed(3)} @ ${b.step}` : "";
}

/** A status line for the latest step event. */
export function statusLine(state) {
  const e = state.last;
  if (!e) {
    return state.losses.length ? `${state.losses.length} steps (finished run)${bestLine(state)}`
      : "waiting for the first step…";
  }
  return `step ${e.step}/${e.total} · loss ${e.loss.toFixed(4)} · ${e.seconds_per_step.toFixed(2)} s/step · `
    + `${formatSeconds(e.seconds_left)} left${bestLine(state)}`;
}

/** Scores (0-1, right-hand scale) as orange points joined by a line, the best one ringed. */
function drawScores(ctx, state, box, x) {
  const scores = state.scores || [];
  if (!scores.length) return;
  const y = (v) => box.bottom - (box.bottom - box.top) * Math.min(1, Math.max(0, v));
  ctx.fillStyle = ctx.strokeStyle = "#fa4";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  scores.forEach((s, i) => (i ? ctx.lineTo(x(s.step - 1), y(s.score)) : ctx.moveTo(x(s.step - 1), y(s.score))));
  ctx.stroke();
  for (const s of scores) ctx.fillRect(x(s.step - 1) - 2, y(s.score) - 2, 4, 4);
  if (state.best) {
    ctx.beginPath();
    ctx.arc(x(state.best.step - 1), y(state.best.score), 5, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.font = "10px sans-serif";
  ctx.fillText("1", box.right + 2, box.top + 3);
  ctx.fillText("0", box.right + 2, box.bottom + 3);
}

/** Draw state.losses (raw, faint) and their smoothed line on `canvas`, with axes and status. */
export function drawChart(canvas, state) {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(100, canvas.clientWidth);
  const height = Math.max(60, canvas.clientHeight);
  if (canvas.width !== Math.round(width * dpr)) canvas.width = Math.round(width * dpr);
  if (canvas.height !== Math.round(height * dpr)) canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#1b1b1b";
  ctx.fillRect(0, 0, width, height);

  const scored = (state.scores || []).length > 0;
  const box = { left: 44, right: width - (scored ? 16 : 8), top: 20, bottom: height - 18 };
  const losses = state.losses;
  const lastScored = scored ? state.scores[state.scores.length - 1].step : 0;
  const total = Math.max(state.last?.total ?? 0, losses.length, lastScored, 2);
  const [lo, hi] = range(losses);
  const x = (i) => box.left + ((box.right - box.left) * i) / Math.max(1, total - 1);
  const y = (v) => box.bottom - ((box.bottom - box.top) * (v - lo)) / (hi - lo);

  ctx.font = "10px sans-serif";
  ctx.strokeStyle = "#333";
  ctx.fillStyle = "#999";
  ctx.lineWidth = 1;
  const decimals = Math.min(6, Math.max(0, Math.ceil(-Math.log10((hi - lo) / 4))));   // labels that differ
  for (let k = 0; k <= 4; k++) {            // horizontal grid with loss values
    const v = lo + ((hi - lo) * k) / 4;
    ctx.beginPath();
    ctx.moveTo(box.left, y(v));
    ctx.lineTo(box.right, y(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(decimals), 2, y(v) + 3);
  }
  ctx.fillText("1", box.left, height - 5);
  ctx.fillText(String(total), box.right - ctx.measureText(String(total)).width, height - 5);

  const line = (values, colour, widthPx) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = widthPx;
    ctx.beginPath();
    values.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
  };
  if (losses.length === 1) {
    ctx.fillStyle = "#6af";
    ctx.fillRect(x(0) - 2, y(losses[0]) - 2, 4, 4);
  } else if (losses.length > 1) {
    line(losses, "rgba(100,170,255,0.35)", 1);
    line(smooth(losses), "#6af", 2);
  }
  drawScores(ctx, state, box, x);
  ctx.fillStyle = "#ddd";
  ctx.font = "11px sans-serif";
  ctx.fillText(statusLine(state), box.left, 13);
}
