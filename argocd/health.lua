-- Argo CD health for orch.dev AgentService, Swarm and Schedule. All three write kstatus conditions (Ready,
-- Reconciling, Stalled, each with observedGeneration), so one script serves the three kinds.
local hs = {}

local function condition(conditions, wanted)
  for _, c in ipairs(conditions or {}) do
    if c.type == wanted then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end

local status = obj.status
local ready = status and condition(status.conditions, "Ready")
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for orch-operator to report status"
  return hs
end

local generation = obj.metadata.generation
local observed = status.observedGeneration or ready.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for orch-operator to act on generation " .. generation
  return hs
end

local stalled = condition(status.conditions, "Stalled")
local reconciling = condition(status.conditions, "Reconciling")
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled)
elseif isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = describe(reconciling)
elseif isTrue(ready) then
  hs.status = "Healthy"
  hs.message = describe(ready)
else
  -- Neither ready, nor on its way, nor stuck: not running by choice (paused, disabled).
  hs.status = "Suspended"
  hs.message = describe(ready)
end
return hs
