// Live pages (arrivals, the projector's leaderboard) refresh their figures in place every
// data-refresh seconds: no page reload, so nothing flickers, focus and scroll stay put,
// and screen readers are not thrown back to the top (a meta refresh does all of that).
const holder = document.querySelector("[data-refresh]");
if (holder) {
  const seconds = Number(holder.dataset.refresh) || 15;
  setInterval(async () => {
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const replacement = fresh.querySelector("[data-refresh]");
      if (replacement) holder.innerHTML = replacement.innerHTML;
    } catch (error) {
      // Offline for a moment: keep showing the last figures.
    }
  }, seconds * 1000);
}
