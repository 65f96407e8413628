"""A Telegram webhook receiver: Telegram POSTs updates to https://<host>/webhook/telegram; we echo text back."""
import os

import httpx
from fastapi import FastAPI, Request

app = FastAPI()
API = "https://api.telegram.org/bot" + os.environ["TELEGRAM_BOT_TOKEN"]


@app.post("/webhook/telegram")
async def telegram_webhook(request: Request):
    update = await request.json()
    message = update.get("message") or {}
    text = message.get("text")
    if text:
        async with httpx.AsyncClient(timeout=10) as http:
            await http.post(API + "/sendMessage", json={"chat_id": message["chat"]["id"], "text": "you said: " + text})
    return {"ok": True}
