module.exports = (who) => `hello ${who}, from the vendored greeting module`;
