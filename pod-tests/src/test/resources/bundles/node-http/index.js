// An HTTP agent whose one dependency is vendored in the bundle, so `npm install` needs no registry.
const http = require('http');
const greet = require('greeting');

const port = Number(process.env.PORT);
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${greet('node')} path=${req.url}`);
}).listen(port, '0.0.0.0', () => console.log(`node agent listening on ${port}`));
