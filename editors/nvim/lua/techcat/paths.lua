-- Which buffers belong to a TechCat workspace: files inside a `.codex/` folder. The workspace root is the folder
-- that holds `.codex/` (the server finds the git top level itself).
local M = {}

--- The folder holding `.codex/` for a file inside it, or nil for any other file.
---@param path string
---@return string|nil
function M.workspace_root(path)
  if path == nil or path == '' then
    return nil
  end
  local root = path:match('^(.*)/%.codex/')
  if root == '' then
    return '/'
  end
  return root
end

return M
