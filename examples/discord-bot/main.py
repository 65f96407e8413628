"""A Discord bot: one outbound WebSocket to Discord, no HTTP port (the gateway answers /health for it)."""
import logging
import os

import discord

PREFIX = os.environ.get("BOT_PREFIX", "!")

intents = discord.Intents.default()
intents.message_content = True
client = discord.Client(intents=intents)


@client.event
async def on_ready():
    logging.info("logged in as %s", client.user)


@client.event
async def on_message(message: discord.Message):
    if message.author == client.user:
        return
    if message.content == PREFIX + "ping":
        await message.channel.send("pong")


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    # The token reaches the process from the namespace's vault Secret; the runner masks it in logs.
    client.run(os.environ["DISCORD_BOT_TOKEN"], log_handler=None)
