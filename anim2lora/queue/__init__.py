"""The queue client: an API-format workflow queued on a running ComfyUI, its progress followed over
the host's websocket, its reports printed.  Run it as ``python -m anim2lora.queue``; ``client``
talks to the host, ``prompt`` loads and overrides the workflow, ``progress`` draws the bar."""
