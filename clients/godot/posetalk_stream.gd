# posetalk parameter stream (protocol v1, docs/protocol.md) -> Godot 4 blend shapes and head bone.
# Binary frames: a 56-byte little-endian header, then float32 arrays in the order
# exp, pose, shape, arkit, vrm, head, vertices (each present when its count is non-zero).
extends Node

## posetalk serve address; add ?token=T when the server is bound beyond loopback.
@export var url := "ws://127.0.0.1:8765/"
## Mesh whose blend shapes are named like ARKit (eyeBlinkLeft, jawOpen, ...).
@export var face: MeshInstance3D
## Skeleton and bone driven by the head quaternion.
@export var skeleton: Skeleton3D
@export var head_bone := "Head"

const MAGIC := 0x464B5450  # "PTKF" as a little-endian u32
const ARRAYS := ["exp", "pose", "shape", "arkit", "vrm", "head", "vertices"]

var socket := WebSocketPeer.new()
var blend_index: PackedInt32Array  # ARKit index -> blend shape index on `face`, -1 if absent
var retry_at := 0.0


func _ready() -> void:
	socket.inbound_buffer_size = 1 << 20
	socket.connect_to_url(url)


func _process(_delta: float) -> void:
	socket.poll()
	match socket.get_ready_state():
		WebSocketPeer.STATE_OPEN:
			while socket.get_available_packet_count() > 0:
				var packet := socket.get_packet()
				if socket.was_string_packet():
					_on_text(JSON.parse_string(packet.get_string_from_utf8()))
				else:
					_on_frame(packet)
		WebSocketPeer.STATE_CLOSED:
			var now := Time.get_ticks_msec() / 1000.0
			if now >= retry_at:  # reconnect once a second
				retry_at = now + 1.0
				socket = WebSocketPeer.new()
				socket.inbound_buffer_size = 1 << 20
				socket.connect_to_url(url)


func _on_text(message: Variant) -> void:
	if message is Dictionary and message.get("type") == "hello":
		blend_index = PackedInt32Array()
		for name in message["channels"]["arkit"]["names"]:
			blend_index.append(face.find_blend_shape_by_name(name) if face else -1)
		socket.send_text(JSON.stringify({"type": "subscribe", "channels": ["arkit", "head"], "format": "binary"}))
	elif message is Dictionary and message.get("type") == "error":
		push_warning("posetalk: %s: %s" % [message["code"], message["message"]])


func _on_frame(data: PackedByteArray) -> void:
	if data.size() < 56 or data.decode_u32(0) != MAGIC or data.decode_u16(4) != 1:
		return
	var offset := data.decode_u16(6)  # header size: the arrays start here
	var arrays := {}
	for i in ARRAYS.size():
		var count := data.decode_u32(28 + 4 * i)
		arrays[ARRAYS[i]] = data.slice(offset, offset + 4 * count).to_float32_array()
		offset += 4 * count
	var arkit: PackedFloat32Array = arrays["arkit"]
	if face:
		for i in min(arkit.size(), blend_index.size()):
			if blend_index[i] >= 0:
				face.set_blend_shape_value(blend_index[i], arkit[i])
	var head: PackedFloat32Array = arrays["head"]
	if skeleton and head.size() >= 4:
		# Godot and FLAME are both right-handed with y up, and glTF avatars face +Z like FLAME's
		# face: the quaternion (x, y, z, w) applies as it is.
		var bone := skeleton.find_bone(head_bone)
		if bone >= 0:
			var rest := skeleton.get_bone_rest(bone).basis.get_rotation_quaternion()
			skeleton.set_bone_pose_rotation(bone, rest * Quaternion(head[0], head[1], head[2], head[3]))
