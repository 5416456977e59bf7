// Forms marked data-confirm="question" ask before they submit (revoking a badge or a
// kiosk): one click on the wrong row should not lock someone out at the door.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
