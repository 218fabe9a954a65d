"""``kinema talk``: a live session on this machine, recorded to an mp4 (a local test).

kinema talk portrait.jpg --say "Who are you?" --say "What can you do?" -o talk.mp4
kinema talk portrait.jpg --name Zora --about "A lighthouse keeper"     # type lines, Ctrl-D ends
kinema talk portrait.jpg --say "Tell me about yourself" --interrupt-after 1.5
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer


async def _talk(
    image: Path,
    lines: list[str],
    output: Path,
    name: str,
    about: str | None,
    voice: str | None,
    size: int,
    fps: int,
    interrupt_after: float | None,
) -> None:
    import numpy as np
    from rich.console import Console

    from kinema.brain.persona import Persona
    from kinema.live.session import LiveSession, SessionConfig
    from kinema.media.image import load_image
    from kinema.media.video import VideoWriter
    from kinema.voice.tts import DEFAULT_VOICE

    console = Console(stderr=True)
    with console.status("building the avatar…"):
        session = await LiveSession.create(
            SessionConfig(fps=fps, max_duration=3600, idle_timeout=3600),
            portrait=load_image(image),
            size=size,
            voice=voice or DEFAULT_VOICE,
            persona=Persona(name, description=about),
            speech_input=False,
        )
    outlet = session.subscribe()
    writer = VideoWriter(output, size, size, fps, audio_rate=session.config.audio_rate)
    encoder = ThreadPoolExecutor(max_workers=1)  # keeps frame order, keeps x264 off the loop
    loop = asyncio.get_running_loop()
    state: dict[str, Any] = {"index": -1, "frame": None, "sample": 0}

    async def record() -> None:
        while not (outlet.closed and not len(outlet.video) and not len(outlet.events)):
            await outlet.wait(0.5)
            while (event := outlet.events.pop()) is not None:
                if event["type"] == "caption":
                    console.print(f"[bold cyan]{name}:[/] {event['text']}")
                elif event["type"] == "turn_metrics":
                    console.print(
                        f"[dim]turnaround {event['turnaround_ms']} ms, "
                        f"interrupted={event['interrupted']}[/]"
                    )
            while (chunk := outlet.audio.pop()) is not None:
                gap = chunk.start - state["sample"]
                pcm = (
                    chunk.samples
                    if gap <= 0
                    else np.concatenate([np.zeros(gap, np.int16), chunk.samples])
                )
                state["sample"] = chunk.start + len(chunk.samples)
                await loop.run_in_executor(encoder, writer.write_audio, pcm)
            while (frame := outlet.video.pop()) is not None:
                repeat = frame.index - state["index"] - 1 if state["frame"] is not None else 0
                for _ in range(max(0, repeat)):  # dropped frames: hold the previous one
                    await loop.run_in_executor(encoder, writer.write, state["frame"])
                await loop.run_in_executor(encoder, writer.write, frame.image)
                state["index"], state["frame"] = frame.index, frame.image

    recorder = asyncio.create_task(record())
    await asyncio.sleep(0.5)

    async def turn(text: str) -> None:
        count = len(session.turns)
        await session.send_text(text)
        if interrupt_after is not None:
            await asyncio.sleep(interrupt_after)
            session.interrupt("client")
        while len(session.turns) == count or session.turns[-1].ended is None:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)

    if lines:
        for text in lines:
            console.print(f"[bold]you:[/] {text}")
            await turn(text)
    else:
        console.print("Type a message and press Enter; Ctrl-D ends.")
        while True:
            text = await asyncio.to_thread(sys.stdin.readline)
            if not text:
                break
            if text.strip():
                await turn(text.strip())
    await session.close("done")
    await recorder
    await loop.run_in_executor(encoder, writer.close)
    encoder.shutdown()
    m = session.metrics()
    console.print(
        f"wrote {output} ({state['index'] + 1} frames); render {m['render_ms_mean']} ms/frame, "
        f"dropped {m['dropped_frames']}"
    )


def talk(
    image: Annotated[Path, typer.Argument(help="portrait (JPEG, PNG or WebP)")],
    say: Annotated[list[str] | None, typer.Option(help="a user message (repeatable)")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="mp4 to write")] = Path("talk.mp4"),
    name: Annotated[str, typer.Option(help="the character's name")] = "Kinema",
    about: Annotated[str | None, typer.Option(help="the character's personality")] = None,
    voice: Annotated[str | None, typer.Option(help="voice preset")] = None,
    size: Annotated[int, typer.Option(help="frame width = height in px")] = 512,
    fps: Annotated[int, typer.Option(help="frames per second (1..60)")] = 24,
    interrupt_after: Annotated[
        float | None, typer.Option(help="barge in this many seconds into each reply")
    ] = None,
) -> None:
    """Talk to a portrait through a live session (embedded engines) and record it to an mp4."""
    asyncio.run(
        _talk(image, list(say or []), output, name, about, voice, size, fps, interrupt_after)
    )


def register(app: typer.Typer) -> None:
    app.command("talk")(talk)
