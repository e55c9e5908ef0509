// Start GOV.UK Frontend's components (error summary focus, character counts, etc.).
import { initAll } from "./govuk/govuk-frontend.min.js";
initAll();

// Idle sign-out without losing what was typed. The server ends a session after
// SESSION_IDLE_MINUTES without a request. While the person types or clicks, ask
// /session/alive now and then so that the session stays open; when nothing has happened
// for a while, warn them before it ends, with a button that keeps it open; if it ends,
// say so and leave the page (and what is typed on it) as it is.
const timeout = document.querySelector(".registry-timeout");
if (timeout) {
  const idle = Number(timeout.dataset.idleSeconds) * 1000;
  // The server writes its last-seen time at most once a minute, so count from a minute
  // before each contact; and ask no more than every minute (sooner for short settings).
  const lag = Math.min(60000, idle / 4);
  const warnFor = Math.min(120000, idle / 4);
  let contact = Date.now();
  let ended = false;
  const deadline = () => contact - lag + idle;
  const warning = timeout.querySelector("[data-timeout-warning]");
  const endedText = timeout.querySelector("[data-timeout-ended]");
  const stay = timeout.querySelector("[data-timeout-stay]");
  let returnTo = null;  // where the focus was before the warning took it
  let nextAsk = 0;  // past the deadline: when to ask the server again

  // `onlyAsk`: whether the session is still open (another tab may have kept it so),
  // without keeping it open.
  async function keepAlive(onlyAsk = false) {
    if (ended) return;
    const asked = Date.now();
    try {
      const url = timeout.dataset.aliveUrl + (onlyAsk === true ? "?check=1" : "");
      const answer = await fetch(url, {
        credentials: "same-origin", redirect: "manual", cache: "no-store"});
      if (answer.status === 204) {
        if (onlyAsk === true) return;  // still open elsewhere: keep warning, ask again
        contact = asked;
        if (!timeout.hidden) {
          timeout.hidden = true;
          if (returnTo && document.activeElement === stay) returnTo.focus();
        }
      } else {
        signedOut();
      }
    } catch (error) {
      // Offline for a moment: the next activity or the next tick tries again.
    }
  }

  function signedOut() {
    ended = true;
    warning.hidden = true;
    stay.hidden = true;
    endedText.hidden = false;
    timeout.hidden = false;
    document.body.classList.add("registry-signed-out");  // room to scroll past the notice
  }

  for (const kind of ["keydown", "input", "click"]) {
    document.addEventListener(kind, (event) => {
      if (event.target === stay) return;
      if (!ended && Date.now() - contact > lag) keepAlive();
    }, {passive: true});
  }
  stay.addEventListener("click", () => keepAlive());
  setInterval(() => {
    if (ended) return;
    const left = deadline() - Date.now();
    if (left <= 0) {
      if (Date.now() >= nextAsk) {
        nextAsk = Date.now() + lag;
        keepAlive(true);
      }
    } else if (left <= warnFor && timeout.hidden) {
      // As GOV.UK's timeout warning does: the focus goes to the way to stay (so a
      // keyboard or screen reader user meets it first) and back once they have stayed.
      returnTo = document.activeElement;
      timeout.hidden = false;
      stay.focus();
    }
  }, Math.min(5000, warnFor / 4));
}
