// getting-started.html: shows the guide's code, the files its tests run.
import firstNetwork from "./guide/first-network.ts?raw";
import firstTraining from "./guide/first-training.ts?raw";
import plotSpikes from "./guide/plot-spikes.ts?raw";
import swapBackend from "./guide/swap-backend.ts?raw";
import { watchNavHeight } from "./nav";

watchNavHeight();
const sources: Record<string, string> = {
  "first-network-source": firstNetwork,
  "first-training-source": firstTraining,
  "swap-backend-source": swapBackend,
  "plot-spikes-source": plotSpikes,
};
for (const [id, text] of Object.entries(sources)) document.getElementById(id)!.textContent = text;
if (location.hash)
  document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
