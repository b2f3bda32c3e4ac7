"""Three clients on the chat API: each says hello; every client receives
all three messages (sendmessage fans out through @connections).

usage: demo.py WS_URL   (what setup.py printed)
"""

import asyncio
import json
import sys

from websockets.asyncio.client import connect


async def main(url):
    clients = [await connect(url) for _ in range(3)]
    for i, ws in enumerate(clients):
        await ws.send(json.dumps({"action": "sendmessage", "data": "hello from client %d" % i}))
        await asyncio.sleep(0.2)
    for i, ws in enumerate(clients):
        got = sorted([await asyncio.wait_for(ws.recv(), 10) for _ in range(3)])
        print("client %d received: %s" % (i, got))
    for ws in clients:
        await ws.close()


asyncio.run(main(sys.argv[1]))
