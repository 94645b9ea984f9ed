// posetalk parameter stream (protocol v1, docs/protocol.md) -> Unity blend shapes and head bone.
// Reads the binary frame format: 56-byte little-endian header, then float32 arrays in the order
// exp, pose, shape, arkit, vrm, head, vertices (each present when its count is non-zero).

using System;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using UnityEngine;

public class PosetalkStream : MonoBehaviour
{
    [Tooltip("posetalk serve address; add ?token=T when the server is bound beyond loopback")]
    public string url = "ws://127.0.0.1:8765/";
    [Tooltip("Mesh whose blend shapes are named like ARKit (eyeBlinkLeft, jawOpen, ...)")]
    public SkinnedMeshRenderer face;
    [Tooltip("Head bone driven by the head quaternion")]
    public Transform head;
    [Tooltip("VRM 0.x avatars face -Z; VRM 1.0 and most glTF imports face +Z")]
    public bool avatarFacesMinusZ = true;

    [Serializable] class NameList { public string[] names; }
    [Serializable] class Channels { public NameList arkit; }
    [Serializable] class Hello { public string type; public int protocol; public int fps; public Channels channels; }

    const int HeaderBytes = 56;
    const uint Magic = 0x464B5450; // "PTKF" as a little-endian u32

    ClientWebSocket socket;
    CancellationTokenSource stop;
    readonly object latestLock = new object();
    float[] latestArkit, latestHead; // written by the receive task, read in Update
    int[] blendShapeIndex;            // ARKit index -> blend shape index on `face`, -1 if absent
    Quaternion headRest;

    async void Start()
    {
        if (head != null) headRest = head.localRotation;
        stop = new CancellationTokenSource();
        while (!stop.IsCancellationRequested)
        {
            try { await Run(stop.Token); }
            catch (Exception error) when (!(error is OperationCanceledException)) { Debug.LogWarning($"posetalk: {error.Message}"); }
            await Task.Delay(1000); // reconnect
        }
    }

    void OnDestroy() { stop?.Cancel(); socket?.Dispose(); }

    async Task Run(CancellationToken token)
    {
        socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(url), token);
        var buffer = new byte[1 << 20];
        var (hello, _) = await Receive(buffer, token);
        var names = JsonUtility.FromJson<Hello>(Encoding.UTF8.GetString(hello)).channels.arkit.names;
        blendShapeIndex = new int[names.Length];
        for (int i = 0; i < names.Length; i++)
            blendShapeIndex[i] = face != null ? face.sharedMesh.GetBlendShapeIndex(names[i]) : -1;
        var subscribe = "{\"type\":\"subscribe\",\"channels\":[\"arkit\",\"head\"],\"format\":\"binary\"}";
        await socket.SendAsync(new ArraySegment<byte>(Encoding.UTF8.GetBytes(subscribe)), WebSocketMessageType.Text, true, token);
        while (socket.State == WebSocketState.Open)
        {
            var (message, type) = await Receive(buffer, token);
            if (type == WebSocketMessageType.Binary) Decode(message);
            // Text messages (subscribed, ack, error, end) are ignored here.
        }
    }

    async Task<(byte[], WebSocketMessageType)> Receive(byte[] buffer, CancellationToken token)
    {
        int length = 0;
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), token);
            if (result.MessageType == WebSocketMessageType.Close) throw new Exception("closed by the server");
            length += result.Count;
        } while (!result.EndOfMessage);
        var message = new byte[length];
        Array.Copy(buffer, message, length);
        return (message, result.MessageType);
    }

    void Decode(byte[] data)
    {
        // BitConverter reads the machine's byte order; every platform Unity targets is little-endian.
        if (data.Length < HeaderBytes || BitConverter.ToUInt32(data, 0) != Magic || BitConverter.ToUInt16(data, 4) != 1) return;
        int offset = BitConverter.ToUInt16(data, 6); // header size: arrays start here
        var arrays = new float[7][];
        for (int i = 0; i < 7; i++)
        {
            int count = (int)BitConverter.ToUInt32(data, 28 + 4 * i);
            arrays[i] = new float[count];
            Buffer.BlockCopy(data, offset, arrays[i], 0, 4 * count);
            offset += 4 * count;
        }
        lock (latestLock) { latestArkit = arrays[3]; latestHead = arrays[5]; }
    }

    void Update()
    {
        float[] arkit, headValues;
        lock (latestLock) { arkit = latestArkit; headValues = latestHead; }
        if (face != null && arkit != null && blendShapeIndex != null)
            for (int i = 0; i < arkit.Length && i < blendShapeIndex.Length; i++)
                if (blendShapeIndex[i] >= 0) face.SetBlendShapeWeight(blendShapeIndex[i], 100f * arkit[i]);
        if (head != null && headValues != null && headValues.Length >= 4)
        {
            // FLAME is right-handed (+x the face's left, +z out of the face); Unity is left-handed.
            // Mirroring across the avatar's front axis keeps the turn on the same side.
            float x = headValues[0], y = headValues[1], z = headValues[2], w = headValues[3];
            var rotation = avatarFacesMinusZ ? new Quaternion(-x, -y, z, w) : new Quaternion(x, -y, -z, w);
            head.localRotation = headRest * rotation;
        }
    }
}
